//! What a run will cost before it starts: per configuration, its answers (with what its images alone cost)
//! and the judging of them, from each model's image-token rule and the price table.
//!
//! An estimate assumes answers of [`EXPECTED_ANSWER_TOKENS`] and, with retrieval, that the first `k` images
//! of each case go as pictures (images of one case are usually of one size, so which ones hardly matters) and
//! the others as their captions. It also says when a configuration pays more per image than one on a model
//! whose tokens cost more: at high detail gpt-4o-mini counts 2,833 + 5,667 tokens per tile, so a picture can
//! cost it more than it costs gpt-4o. A configuration with the wardrobe on is counted as carrying, with every
//! question, the pictures and captions of the largest items it could pick ([`WardrobeLoad`]): which ones a
//! question picks is not known before it is asked. It sends nothing and stores nothing.

use crate::core::cost::{estimate_answer, estimate_judging_with, Estimate, JudgeOverhead, JudgingPlan, PriceTable};
use crate::core::eval::answer::RunConfig;
use crate::core::eval::model::TestSet;
use crate::core::image_plan::image_tokens;
use crate::core::prompt::estimate_tokens;
use crate::core::wardrobe::WardrobeItem;
use crate::core::websearch::plan::{planner_tokens, MAX_QUERIES};
use crate::core::websearch::search_cost;

/// The answer length estimates assume, in tokens.
pub const EXPECTED_ANSWER_TOKENS: u32 = 150;
/// A plan's length, in tokens.
const PLAN_TOKENS: u32 = 60;
/// The results block an answer receives (ten results of about 120 tokens and the rules), in tokens.
const RESULTS_TOKENS: u32 = 1_300;

/// One configuration's part of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigEstimate {
    pub config_id: String,
    /// Every case's answer.
    pub answers: Estimate,
    /// Every answer's verdicts (correctness, and faithfulness with retrieval).
    pub judging: Estimate,
    /// Pictures sent in all, and the input tokens they count for.
    pub images: u32,
    pub image_tokens: u32,
    /// What those tokens cost, when the model has a price.
    pub image_usd: Option<f64>,
    /// Web search: the planning calls (in `answers` too) and the most Tavily credits the searches can use
    /// (every case planning the most queries), with their dollars (in `answers` too).
    pub search_credits: f64,
}

impl ConfigEstimate {
    pub fn total(&self) -> Estimate {
        self.answers.plus(self.judging)
    }

    /// The average cost of one picture.
    pub fn usd_per_image(&self) -> Option<f64> {
        (self.images > 0).then_some(()).and(self.image_usd).map(|usd| usd / f64::from(self.images))
    }
}

/// Something the person should see before starting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EstimateNote {
    /// `config_id` pays more per picture than `than`, although its model's tokens are cheaper.
    ImagesDearer { config_id: String, than: String },
    /// A model has no price in the table: its part is not in the total.
    Unpriced { model: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunEstimate {
    pub configs: Vec<ConfigEstimate>,
    pub notes: Vec<EstimateNote>,
}

impl RunEstimate {
    /// Everything together; the cost is `None` when any part has no price.
    pub fn total(&self) -> Estimate {
        self.configs.iter().fold(Estimate { usd: Some(0.0), ..Estimate::default() }, |sum, c| sum.plus(c.total()))
    }
}

/// What the wardrobe adds to each question of a configuration that takes it, at most: the `k` largest items'
/// pictures (by pixels, which image tokens grow with) and their captions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WardrobeLoad {
    /// Width and height of each picture.
    pub pictures: Vec<(u32, u32)>,
    /// The captions the prompt gives them, together.
    pub captions: String,
}

impl WardrobeLoad {
    /// The load of a question that carries `k` of `items` (fewer when the wardrobe holds fewer).
    pub fn of(items: &[WardrobeItem], k: usize) -> WardrobeLoad {
        let mut largest: Vec<&WardrobeItem> = items.iter().collect();
        largest.sort_by_key(|i| std::cmp::Reverse(u64::from(i.width) * u64::from(i.height)));
        largest.truncate(k);
        let captions: Vec<String> = largest.iter().filter_map(|i| crate::core::wardrobe::prompt_caption(i)).collect();
        WardrobeLoad { pictures: largest.iter().map(|i| (i.width, i.height)).collect(), captions: captions.join(" ") }
    }
}

/// Estimates a run of `configs` on `set`, judged by `judge_model`; `wardrobe` is what a question that takes
/// the wardrobe carries.
pub fn estimate_run(
    set: &TestSet,
    configs: &[RunConfig],
    judge_model: &str,
    prices: &PriceTable,
    credit_usd: f64,
    wardrobe: &WardrobeLoad,
) -> RunEstimate {
    let mut out = Vec::with_capacity(configs.len());
    let mut notes = Vec::new();
    let overhead = JudgeOverhead::of(judge_model);
    for config in configs {
        let mut answers = Estimate { usd: Some(0.0), ..Estimate::default() };
        let mut judging = Estimate { usd: Some(0.0), ..Estimate::default() };
        let (mut images, mut tokens) = (0u32, 0u32);
        let mut search_credits = 0.0;
        let system = match config.instructions.as_deref() {
            Some(extra) => format!("{}\n\n{extra}", config.system_prompt()),
            None => config.system_prompt().to_owned(),
        };
        for case in &set.cases {
            let k = config.retrieval.map_or(case.images.len(), |k| (k as usize).min(case.images.len()));
            let mut sent: Vec<(u32, u32)> = case.images.iter().take(k).map(|i| (i.width, i.height)).collect();
            // Captions of the images left out travel as text with the question, as do the wardrobe items'.
            let mut captions: String =
                case.images.iter().skip(k).filter_map(|i| i.caption.as_deref()).collect::<Vec<_>>().join(" ");
            if config.wardrobe {
                sent.extend(&wardrobe.pictures);
                captions = format!("{captions} {}", wardrobe.captions);
            }
            let question = format!("{} {captions}", case.question);
            answers = answers.plus(estimate_answer(
                prices,
                &config.model,
                config.detail,
                &sent,
                &question,
                &system,
                EXPECTED_ANSWER_TOKENS,
            ));
            if let Some(depth) = config.web {
                // The planner reads the question and every caption and writes a short plan; the searches use at
                // most the plan's queries at the depth's rate. Their results travel with the answer's prompt.
                let captions: String =
                    case.images.iter().filter_map(|i| i.caption.as_deref()).collect::<Vec<_>>().join(" ");
                let plan_in = planner_tokens() + estimate_tokens(&case.question) + estimate_tokens(&captions);
                answers = answers.plus(Estimate::of(prices, &config.model, plan_in, PLAN_TOKENS));
                answers = answers.plus(Estimate::of(prices, &config.model, RESULTS_TOKENS, 0));
                let credits = MAX_QUERIES as f64 * depth.credits();
                search_credits += credits;
                answers.usd = answers.usd.map(|usd| usd + search_cost(credits, credit_usd));
            }
            images += sent.len() as u32;
            tokens += sent.iter().map(|&(w, h)| image_tokens(&config.model, w, h, config.detail)).sum::<u32>();
            let mut context: u32 = case.images.iter().filter_map(|i| i.caption.as_deref()).map(estimate_tokens).sum();
            if config.wardrobe {
                context += estimate_tokens(&wardrobe.captions);
            }
            // Faithfulness is checked when retrieval or the wardrobe gives the answer context.
            let checked = config.retrieval.is_some() || config.wardrobe;
            let plan = JudgingPlan {
                judge_model,
                question: &case.question,
                reference: &case.reference,
                expected_answer_tokens: EXPECTED_ANSWER_TOKENS,
                retrieved_context_tokens: checked.then_some(context),
            };
            judging = judging.plus(estimate_judging_with(prices, &plan, &overhead).total());
        }
        let image_usd = prices.price(&config.model).map(|p| p.usd(tokens, 0, 0));
        for model in [config.model.as_str(), judge_model] {
            if prices.price(model).is_none() && !notes.contains(&EstimateNote::Unpriced { model: model.to_owned() }) {
                notes.push(EstimateNote::Unpriced { model: model.to_owned() });
            }
        }
        out.push(ConfigEstimate {
            config_id: config.id.clone(),
            answers,
            judging,
            images,
            image_tokens: tokens,
            image_usd,
            search_credits,
        });
    }
    for (a, ca) in out.iter().zip(configs) {
        for (b, cb) in out.iter().zip(configs) {
            let (Some(pa), Some(pb)) = (prices.price(&ca.model), prices.price(&cb.model)) else { continue };
            let (Some(ia), Some(ib)) = (a.usd_per_image(), b.usd_per_image()) else { continue };
            if pa.input_usd_per_mtok < pb.input_usd_per_mtok && ia > ib {
                notes.push(EstimateNote::ImagesDearer { config_id: a.config_id.clone(), than: b.config_id.clone() });
            }
        }
    }
    RunEstimate { configs: out, notes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::eval::model::{Case, CaseImage, ReferenceMode};
    use crate::core::model::Detail;

    fn set() -> TestSet {
        let image = |i: usize| CaseImage {
            id: format!("i{i}"),
            name: "x.png".into(),
            mime: "image/png".into(),
            width: 1024,
            height: 1024,
            caption: Some("a picture of something".into()),
            relevant: false,
        };
        let case = |id: &str| Case {
            id: id.into(),
            question: "What is it?".into(),
            reference: "A thing.".into(),
            mode: ReferenceMode::All,
            tags: Vec::new(),
            images: (0..4).map(image).collect(),
        };
        TestSet {
            id: "s".into(),
            version: 1,
            name: "S".into(),
            created_ms: 0.0,
            sample: false,
            cases: vec![case("a"), case("b")],
        }
    }

    fn config(id: &str, model: &str, detail: Detail, retrieval: Option<u32>) -> RunConfig {
        RunConfig {
            preset: None,
            id: id.into(),
            model: model.into(),
            detail,
            retrieval,
            instructions: None,
            temperature: None,
            web: None,
            wardrobe: false,
        }
    }

    #[test]
    fn at_high_detail_the_small_model_pays_more_per_picture_and_the_estimate_says_so() {
        let configs = [config("mini", "gpt-4o-mini", Detail::High, None), config("big", "gpt-4o", Detail::High, None)];
        let e = estimate_run(&set(), &configs, "gpt-4.1", &PriceTable::defaults(), 0.008, &WardrobeLoad::default());
        assert_eq!(e.configs[0].images, 8);
        // 1024×1024 at high detail: 2 × 2 tiles.
        assert_eq!(e.configs[0].image_tokens, 8 * (2833 + 4 * 5667));
        assert_eq!(e.configs[1].image_tokens, 8 * (85 + 4 * 170));
        assert!(e.configs[0].usd_per_image().unwrap() > e.configs[1].usd_per_image().unwrap());
        assert_eq!(e.notes, [EstimateNote::ImagesDearer { config_id: "mini".into(), than: "big".into() }]);
        assert!(e.total().usd.unwrap() > 0.0);
    }

    #[test]
    fn retrieval_sends_fewer_pictures_and_adds_a_faithfulness_check() {
        let all = config("all", "gpt-4o", Detail::Low, None);
        let two = config("two", "gpt-4o", Detail::Low, Some(2));
        let e = estimate_run(&set(), &[all, two], "gpt-4.1", &PriceTable::defaults(), 0.008, &WardrobeLoad::default());
        assert_eq!((e.configs[0].images, e.configs[1].images), (8, 4));
        assert!(e.configs[1].answers.input_tokens < e.configs[0].answers.input_tokens);
        assert!(e.configs[1].judging.input_tokens > e.configs[0].judging.input_tokens);
        assert!(e.notes.is_empty());
    }

    #[test]
    fn an_unpriced_model_leaves_the_total_unpriced_and_is_named() {
        let e = estimate_run(
            &set(),
            &[config("x", "my-local-model", Detail::Low, None)],
            "gpt-4.1",
            &PriceTable::defaults(),
            0.008,
            &WardrobeLoad::default(),
        );
        assert_eq!(e.total().usd, None);
        assert_eq!(e.notes, [EstimateNote::Unpriced { model: "my-local-model".into() }]);
        assert!(e.total().input_tokens > 0);
    }

    #[test]
    fn web_search_adds_its_planning_calls_and_at_most_three_searches_a_case() {
        let off = config("off", "gpt-4o-mini", Detail::Low, None);
        let on = RunConfig {
            web: Some(crate::core::websearch::tavily::SearchDepth::Advanced),
            ..config("on", "gpt-4o-mini", Detail::Low, None)
        };
        let e = estimate_run(&set(), &[off, on], "gpt-4.1", &PriceTable::defaults(), 0.008, &WardrobeLoad::default());
        let cases = set().cases.len() as f64;
        assert_eq!(e.configs[0].search_credits, 0.0);
        assert_eq!(e.configs[1].search_credits, cases * 3.0 * 2.0);
        let extra = e.configs[1].answers.usd.unwrap() - e.configs[0].answers.usd.unwrap();
        assert!(extra > cases * 6.0 * 0.008, "credits and the planning calls: {extra}");
        assert!(e.configs[1].answers.input_tokens > e.configs[0].answers.input_tokens);
    }

    #[test]
    fn the_wardrobe_adds_its_largest_items_pictures_and_a_faithfulness_check() {
        let item = |id: &str, w: u32, h: u32, caption: &str| WardrobeItem {
            width: w,
            height: h,
            ..crate::core::wardrobe::fakes::item(id, &format!("{id}.jpg"), Some(caption), &[1]).0
        };
        let items = [
            item("small", 64, 64, "a small pin"),
            item("coat", 1024, 768, "a long camel coat"),
            item("boots", 768, 768, "brown boots"),
            item("scarf", 512, 512, "a red scarf"),
        ];
        let load = WardrobeLoad::of(&items, 2);
        assert_eq!(load.pictures, [(1024, 768), (768, 768)], "the two largest");
        assert_eq!(load.captions, "a long camel coat brown boots");
        assert_eq!(WardrobeLoad::of(&items[..1], 3).pictures.len(), 1, "no more than the wardrobe holds");

        let off = config("off", "gpt-4o-mini", Detail::Low, None);
        let on = RunConfig { wardrobe: true, ..config("on", "gpt-4o-mini", Detail::Low, None) };
        let e = estimate_run(&set(), &[off, on], "gpt-4.1", &PriceTable::defaults(), 0.008, &load);
        let cases = set().cases.len() as u32;
        assert_eq!(e.configs[1].images - e.configs[0].images, 2 * cases);
        // At low detail a picture counts 2,833 tokens on gpt-4o-mini, whatever its size.
        assert_eq!(e.configs[1].image_tokens - e.configs[0].image_tokens, 2 * cases * 2833);
        assert!(e.configs[1].answers.input_tokens > e.configs[0].answers.input_tokens + 2 * cases * 2833);
        assert!(e.configs[1].judging.input_tokens > e.configs[0].judging.input_tokens, "faithfulness is checked");
    }
}

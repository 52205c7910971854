//! The sample set: a small test set of pictures and questions that ships with Boda, so that the built-in
//! evaluation can be tried before a person has written test cases of their own.
//!
//! This module is data and its checks, nothing more. The pictures are small SVGs the project drew itself, under
//! `static/sample/` (the build copies the folder to `sample/` next to the app); when a person installs the sample
//! set, the browser fetches each SVG and rasterises it into a PNG at its stated size, because the model is sent
//! pixels, never SVG. Fetching, rasterising, storing, asking and scoring all happen elsewhere; nothing here knows
//! about a browser, the network or a model.
//!
//! Half of the cases are asked in Korean (in 해요체, apart from the prototype's own two questions, kept word for
//! word) and half in English. Some cases give six to eight pictures of which only one or two can answer the
//! question: they measure whether retrieval picks the right pictures. Each picture has a caption in both
//! languages that describes the drawing neutrally; a caption stands in for a picture that retrieval leaves out,
//! so it never says what a question asks to read off the picture (a total, a time, a number on a sign).

use crate::core::eval::model::{Case, CaseImage, ReferenceMode, TestSet};

/// One picture of the sample set: a file under `static/sample/` and what it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleImage {
    /// The file's name under `static/sample/` (and under `sample/` in the built app).
    pub file: &'static str,
    /// The width in pixels the picture is rasterised at, as the SVG's `width` says.
    pub width: u32,
    /// The height in pixels the picture is rasterised at, as the SVG's `height` says.
    pub height: u32,
    /// What the drawing shows, in English, without the answers a question reads off it.
    pub caption_en: &'static str,
    /// What the drawing shows, in Korean, without the answers a question reads off it.
    pub caption_ko: &'static str,
}

/// One test case of the sample set: a question about some of its pictures and the answer expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleCase {
    /// Unique within the set; a run's results refer to cases by it.
    pub id: &'static str,
    /// The question, in the language the case is tagged with.
    pub question: &'static str,
    /// The expected answer, in the question's language.
    pub reference: &'static str,
    /// True when any one of the reference's alternatives suffices ("a dog or a puppy"); false when every part
    /// of it is needed ("3 red circles and 2 blue squares").
    pub any: bool,
    /// "ko" or "en" first, then what the case exercises ("count", "ocr", "chart", "retrieval", "compare"...).
    pub tags: &'static [&'static str],
    /// The pictures attached to the case, by file name, in the order they are attached.
    pub images: &'static [&'static str],
    /// The pictures that can answer the question, a subset of `images`; empty when the case declares no
    /// relevance (every picture is meant to be looked at).
    pub relevant: &'static [&'static str],
}

/// The identifier the sample set is installed under.
pub const SAMPLE_SET_ID: &str = "sample";

/// Raised whenever a picture, question or reference changes, so that an installed copy knows it is stale and
/// results of different versions are not compared as if they were of the same cases.
pub const SAMPLE_VERSION: u32 = 1;

/// The pictures of the sample set, each used by at least one case.
pub const IMAGES: &[SampleImage] = &[
    SampleImage {
        file: "shapes.svg",
        width: 512,
        height: 512,
        caption_en: "several flat geometric shapes in one colour on a white background",
        caption_ko: "흰 바탕에 한 가지 색으로 칠한 여러 가지 도형",
    },
    SampleImage {
        file: "colors.svg",
        width: 640,
        height: 480,
        caption_en: "a row of balloons on strings, each a different colour",
        caption_ko: "색이 저마다 다른 풍선들이 줄에 매달려 한 줄로 늘어선 그림",
    },
    SampleImage {
        file: "counts.svg",
        width: 512,
        height: 512,
        caption_en: "red circles and blue squares scattered on a white background",
        caption_ko: "흰 바탕에 흩어져 있는 빨간 원과 파란 정사각형",
    },
    SampleImage {
        file: "fruit.svg",
        width: 640,
        height: 480,
        caption_en: "apples and bananas on a wooden table",
        caption_ko: "나무 탁자 위에 놓인 사과와 바나나",
    },
    SampleImage {
        file: "sign_en.svg",
        width: 512,
        height: 512,
        caption_en: "a white road sign with black lettering on a post",
        caption_ko: "기둥에 달린, 검은 글씨가 적힌 흰 도로 표지판",
    },
    SampleImage {
        file: "sign_ko.svg",
        width: 640,
        height: 480,
        caption_en: "a blue subway exit sign with Korean text and an arrow",
        caption_ko: "한글 안내 문구와 화살표가 있는 파란 지하철 출구 안내판",
    },
    SampleImage {
        file: "dog.svg",
        width: 512,
        height: 512,
        caption_en: "a cartoon dog with floppy ears and a collar, sitting on grass",
        caption_ko: "귀가 늘어지고 목걸이를 한 만화풍 강아지가 풀밭에 앉아 있는 그림",
    },
    SampleImage {
        file: "cat.svg",
        width: 512,
        height: 512,
        caption_en: "a cartoon cat with whiskers and a curled tail, sitting",
        caption_ko: "수염이 있고 꼬리를 만 만화풍 고양이가 앉아 있는 그림",
    },
    SampleImage {
        file: "dog_and_cat.svg",
        width: 640,
        height: 480,
        caption_en: "a cartoon dog and a cartoon cat sitting side by side",
        caption_ko: "만화풍 강아지와 고양이가 나란히 앉아 있는 그림",
    },
    SampleImage {
        file: "bar_chart.svg",
        width: 640,
        height: 480,
        caption_en: "a bar chart of fruit sales with labelled axes and a value on each bar",
        caption_ko: "축 이름과 막대마다 값이 적힌 과일 판매량 막대 그래프",
    },
    SampleImage {
        file: "bar_chart_ko.svg",
        width: 640,
        height: 480,
        caption_en: "a bar chart in Korean of visitors per month, with a value on each bar",
        caption_ko: "막대마다 값이 적힌 월별 방문자 수 막대 그래프",
    },
    SampleImage {
        file: "receipt_en.svg",
        width: 512,
        height: 600,
        caption_en: "a café receipt with several items, their prices and a total",
        caption_ko: "여러 품목과 가격, 합계가 적힌 영어 카페 영수증",
    },
    SampleImage {
        file: "receipt_ko.svg",
        width: 512,
        height: 600,
        caption_en: "a Korean supermarket receipt with several items, prices in won and a total",
        caption_ko: "여러 품목과 원 단위 가격, 합계가 적힌 마트 영수증",
    },
    SampleImage {
        file: "tree.svg",
        width: 512,
        height: 512,
        caption_en: "a leafy tree on grass under the sun",
        caption_ko: "해가 뜬 하늘 아래 풀밭에 서 있는 잎이 무성한 나무",
    },
    SampleImage {
        file: "house.svg",
        width: 512,
        height: 512,
        caption_en: "a small house with a red roof, a chimney, windows and a door",
        caption_ko: "빨간 지붕과 굴뚝, 창문과 문이 있는 작은 집",
    },
    SampleImage {
        file: "car.svg",
        width: 640,
        height: 480,
        caption_en: "a car on a road, seen from the side",
        caption_ko: "도로 위의 자동차를 옆에서 본 그림",
    },
    SampleImage {
        file: "clock.svg",
        width: 512,
        height: 512,
        caption_en: "a round wall clock with numbers and two hands",
        caption_ko: "숫자와 바늘 두 개가 있는 둥근 벽시계",
    },
    SampleImage {
        file: "traffic_light.svg",
        width: 512,
        height: 512,
        caption_en: "a traffic light with three lamps on a pole",
        caption_ko: "기둥 위에 램프 세 개가 달린 신호등",
    },
    SampleImage {
        file: "calendar.svg",
        width: 512,
        height: 512,
        caption_en: "a wall calendar page for one month with one date circled",
        caption_ko: "날짜 하나에 동그라미가 쳐진 한 달짜리 벽걸이 달력",
    },
    SampleImage {
        file: "map.svg",
        width: 640,
        height: 480,
        caption_en: "a simple town map with a river, roads, a park, a lake and a pin",
        caption_ko: "강과 도로, 공원, 호수, 위치 핀이 있는 간단한 동네 지도",
    },
];

/// The cases of the sample set: half in Korean, half in English.
pub const CASES: &[SampleCase] = &[
    // English, one picture or two.
    SampleCase {
        id: "en-shapes",
        question: "Which shapes can you see in this picture?",
        reference: "a circle, a square, a triangle and a star",
        any: false,
        tags: &["en", "shapes"],
        images: &["shapes.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "en-counts",
        question: "How many red circles and how many blue squares are there?",
        reference: "3 red circles and 2 blue squares",
        any: false,
        tags: &["en", "count", "colour"],
        images: &["counts.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "en-balloon-left",
        question: "What colour is the balloon on the far left?",
        reference: "red",
        any: true,
        tags: &["en", "colour"],
        images: &["colors.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "en-speed-limit",
        question: "What speed limit does the sign show?",
        reference: "40",
        any: true,
        tags: &["en", "ocr", "sign"],
        images: &["sign_en.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "en-dog-and-cat",
        question: "Which two animals are in this picture, and which one is on the left?",
        reference: "a dog and a cat, with the dog on the left",
        any: false,
        tags: &["en", "animals"],
        images: &["dog_and_cat.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "en-dog",
        question: "What animal is in this picture?",
        reference: "a dog or a puppy",
        any: true,
        tags: &["en", "animals"],
        images: &["dog.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "en-chart-most",
        question: "Which fruit sold the most this week, and how many boxes of it?",
        reference: "cherries, 15 boxes",
        any: false,
        tags: &["en", "chart"],
        images: &["bar_chart.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "en-receipt-total",
        question: "What is the total on this receipt?",
        reference: "$9.75",
        any: true,
        tags: &["en", "ocr", "receipt"],
        images: &["receipt_en.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "en-clock",
        question: "What time does the clock show?",
        reference: "3:00 or three o'clock",
        any: true,
        tags: &["en", "time"],
        images: &["clock.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "en-traffic-light",
        question: "Which light of the traffic light is on?",
        reference: "the red light or the top light",
        any: true,
        tags: &["en", "colour"],
        images: &["traffic_light.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "en-calendar",
        question: "Which date is circled on the calendar, and what day of the week is it?",
        reference: "March 14, 2026, a Saturday",
        any: false,
        tags: &["en", "ocr", "time"],
        images: &["calendar.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "en-house-windows",
        question: "How many windows does the house have?",
        reference: "4 or four",
        any: true,
        tags: &["en", "count"],
        images: &["house.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "en-compare-dog-cat",
        question: "How do these two pictures differ?",
        reference: "the first picture shows a dog and the second a cat",
        any: false,
        tags: &["en", "compare", "animals"],
        images: &["dog.svg", "cat.svg"],
        relevant: &[],
    },
    // English, six to eight pictures of which one or two can answer.
    SampleCase {
        id: "en-retrieval-receipt-total",
        question: "What does the receipt's total come to?",
        reference: "$9.75",
        any: true,
        tags: &["en", "retrieval", "ocr", "receipt"],
        images: &["tree.svg", "dog.svg", "receipt_en.svg", "clock.svg", "house.svg", "map.svg", "car.svg"],
        relevant: &["receipt_en.svg"],
    },
    SampleCase {
        id: "en-retrieval-clock",
        question: "What time is it on the clock?",
        reference: "3:00 or three o'clock",
        any: true,
        tags: &["en", "retrieval", "time"],
        images: &["car.svg", "fruit.svg", "clock.svg", "sign_ko.svg", "calendar.svg", "tree.svg"],
        relevant: &["clock.svg"],
    },
    SampleCase {
        id: "en-retrieval-speed-limit",
        question: "What is the speed limit on the road sign?",
        reference: "40",
        any: true,
        tags: &["en", "retrieval", "ocr", "sign"],
        images: &["house.svg", "car.svg", "fruit.svg", "sign_en.svg", "colors.svg", "calendar.svg"],
        relevant: &["sign_en.svg"],
    },
    SampleCase {
        id: "en-retrieval-dog-cat-colours",
        question: "What colour are the dog and the cat?",
        reference: "the dog is brown and the cat is orange (ginger)",
        any: false,
        tags: &["en", "retrieval", "colour", "animals"],
        images: &[
            "house.svg",
            "dog.svg",
            "traffic_light.svg",
            "map.svg",
            "cat.svg",
            "bar_chart.svg",
            "tree.svg",
            "shapes.svg",
        ],
        relevant: &["dog.svg", "cat.svg"],
    },
    // Korean, one picture or two. The first two are the prototype's own questions, word for word.
    SampleCase {
        id: "ko-common",
        question: "두 사진의 공통점이 뭐야?",
        reference: "둘 다 동물이에요 또는 둘 다 앉아 있는 만화풍 반려동물 그림이에요",
        any: true,
        tags: &["ko", "compare", "animals"],
        images: &["dog.svg", "cat.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "ko-difference",
        question: "두 사진의 차이점이 뭐야?",
        reference: "첫 번째 사진은 개이고 두 번째 사진은 고양이예요",
        any: false,
        tags: &["ko", "compare", "animals"],
        images: &["dog.svg", "cat.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "ko-apples",
        question: "사과가 몇 개 있어요?",
        reference: "3개 또는 세 개",
        any: true,
        tags: &["ko", "count"],
        images: &["fruit.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "ko-balloons",
        question: "풍선은 몇 개이고 각각 무슨 색이에요?",
        reference: "4개이고, 왼쪽부터 빨간색, 노란색, 초록색, 파란색이에요",
        any: false,
        tags: &["ko", "count", "colour"],
        images: &["colors.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "ko-exit-number",
        question: "안내판에 적힌 출구 번호가 뭐예요?",
        reference: "3번 출구",
        any: true,
        tags: &["ko", "ocr", "sign"],
        images: &["sign_ko.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "ko-exit-places",
        question: "이 출구로 나가면 어디로 갈 수 있어요?",
        reference: "시청과 덕수궁",
        any: false,
        tags: &["ko", "ocr", "sign"],
        images: &["sign_ko.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "ko-receipt-total",
        question: "영수증의 합계는 얼마예요?",
        reference: "13,300원",
        any: true,
        tags: &["ko", "ocr", "receipt"],
        images: &["receipt_ko.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "ko-receipt-priciest",
        question: "영수증에서 가장 비싼 품목은 뭐고 얼마예요?",
        reference: "사과, 6,000원",
        any: false,
        tags: &["ko", "ocr", "receipt"],
        images: &["receipt_ko.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "ko-chart-fewest",
        question: "방문자가 가장 적은 달은 몇 월이고, 그때 방문자는 몇 명이에요?",
        reference: "2월, 90명",
        any: false,
        tags: &["ko", "chart"],
        images: &["bar_chart_ko.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "ko-cat",
        question: "이 사진 속 동물은 뭐예요?",
        reference: "고양이 또는 새끼 고양이",
        any: true,
        tags: &["ko", "animals"],
        images: &["cat.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "ko-right-animal",
        question: "오른쪽에 있는 동물은 뭐예요?",
        reference: "고양이",
        any: true,
        tags: &["ko", "animals"],
        images: &["dog_and_cat.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "ko-map-bridges",
        question: "지도에서 강을 건너는 다리는 몇 개예요?",
        reference: "2개 또는 두 개",
        any: true,
        tags: &["ko", "count", "map"],
        images: &["map.svg"],
        relevant: &[],
    },
    SampleCase {
        id: "ko-clock",
        question: "시계가 몇 시를 가리키고 있어요?",
        reference: "3시 또는 세 시 정각",
        any: true,
        tags: &["ko", "time"],
        images: &["clock.svg"],
        relevant: &[],
    },
    // Korean, six to eight pictures of which one or two can answer.
    SampleCase {
        id: "ko-retrieval-ramen",
        question: "영수증에서 라면은 얼마예요?",
        reference: "4,800원",
        any: true,
        tags: &["ko", "retrieval", "ocr", "receipt"],
        images: &["tree.svg", "cat.svg", "traffic_light.svg", "receipt_ko.svg", "house.svg", "calendar.svg", "car.svg"],
        relevant: &["receipt_ko.svg"],
    },
    SampleCase {
        id: "ko-retrieval-traffic-light",
        question: "신호등에 무슨 색 불이 켜져 있어요?",
        reference: "빨간불 또는 빨간색",
        any: true,
        tags: &["ko", "retrieval", "colour"],
        images: &["car.svg", "tree.svg", "map.svg", "traffic_light.svg", "house.svg", "fruit.svg"],
        relevant: &["traffic_light.svg"],
    },
    SampleCase {
        id: "ko-retrieval-chart-march",
        question: "막대 그래프에서 3월 방문자는 몇 명이에요?",
        reference: "150명",
        any: true,
        tags: &["ko", "retrieval", "chart"],
        images: &[
            "dog.svg",
            "clock.svg",
            "sign_en.svg",
            "fruit.svg",
            "bar_chart_ko.svg",
            "counts.svg",
            "tree.svg",
            "house.svg",
        ],
        relevant: &["bar_chart_ko.svg"],
    },
    SampleCase {
        id: "ko-retrieval-two-receipts",
        question: "두 영수증의 합계를 각각 알려 주세요.",
        reference: "카페 영수증은 $9.75, 마트 영수증은 13,300원이에요",
        any: false,
        tags: &["ko", "retrieval", "ocr", "receipt"],
        images: &["receipt_en.svg", "house.svg", "clock.svg", "receipt_ko.svg", "dog.svg", "map.svg", "fruit.svg"],
        relevant: &["receipt_en.svg", "receipt_ko.svg"],
    },
];

/// The picture of the sample set stored under `file`, if there is one.
pub fn image(file: &str) -> Option<&'static SampleImage> {
    IMAGES.iter().find(|image| image.file == file)
}

/// The id a sample picture is stored under: one per file, shared by every case that shows it.
pub fn image_id(file: &str) -> String {
    format!("{SAMPLE_SET_ID}:{file}")
}

/// The sample set as a test set, named `name` (the views give it in the person's language). Each case's
/// pictures carry the caption in the case's language; the PNGs are stored under [`image_id`].
pub fn test_set(name: &str, now_ms: f64) -> TestSet {
    let cases = CASES
        .iter()
        .map(|c| {
            let korean = c.tags.first() == Some(&"ko");
            let images = c
                .images
                .iter()
                .filter_map(|file| image(file))
                .map(|i| CaseImage {
                    id: image_id(i.file),
                    name: i.file.replace(".svg", ".png"),
                    mime: "image/png".to_owned(),
                    width: i.width,
                    height: i.height,
                    caption: Some(if korean { i.caption_ko } else { i.caption_en }.to_owned()),
                    relevant: c.relevant.contains(&i.file),
                })
                .collect();
            Case {
                id: c.id.to_owned(),
                question: c.question.to_owned(),
                reference: c.reference.to_owned(),
                mode: if c.any { ReferenceMode::Any } else { ReferenceMode::All },
                tags: c.tags.iter().map(|t| (*t).to_owned()).collect(),
                images,
            }
        })
        .collect();
    TestSet {
        id: SAMPLE_SET_ID.to_owned(),
        version: SAMPLE_VERSION,
        name: name.to_owned(),
        created_ms: now_ms,
        sample: true,
        cases,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_service_worker_keeps_every_drawing_for_an_offline_install() {
        let sw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/static/sw.js")).unwrap();
        for image in IMAGES {
            assert!(sw.contains(&format!("'/sample/{}'", image.file)), "static/sw.js does not list {}", image.file);
        }
        assert_eq!(sw.matches("'/sample/").count(), IMAGES.len(), "static/sw.js lists a drawing the set does not have");
    }

    #[test]
    fn the_sample_set_is_a_valid_test_set_with_captions_in_each_case_language() {
        let set = test_set("Sample set", 1.0);
        assert_eq!(set.cases.len(), CASES.len());
        assert!(set.cases.iter().all(|c| c.problem().is_none()), "every case is usable");
        assert_eq!(set.image_ids().len(), IMAGES.len());
        let ko = set.cases.iter().find(|c| c.question == "두 사진의 공통점이 뭐야?").unwrap();
        assert!(ko
            .images
            .iter()
            .all(|i| i.caption.as_deref().is_some_and(|t| t.chars().any(|ch| ('가'..='힣').contains(&ch)))));
        assert!(set.cases.iter().filter(|c| c.declares_relevant()).count() >= 5);
        assert!(set.cases.iter().flat_map(|c| &c.images).all(|i| i.name.ends_with(".png")));
    }

    /// The font stack the SVGs use for Korean text; Latin text uses plain `sans-serif`.
    const KOREAN_FONTS: &str = "'Noto Sans CJK KR', 'Apple SD Gothic Neo', 'Malgun Gothic', sans-serif";

    fn has_hangul(text: &str) -> bool {
        text.chars().any(|c| matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}'))
    }

    fn is_korean(case: &SampleCase) -> bool {
        case.tags.first() == Some(&"ko")
    }

    fn is_retrieval(case: &SampleCase) -> bool {
        (6..=8).contains(&case.images.len()) && (1..=2).contains(&case.relevant.len())
    }

    fn sample_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/sample")
    }

    #[test]
    fn ids_and_files_are_unique() {
        let ids: HashSet<_> = CASES.iter().map(|case| case.id).collect();
        assert_eq!(ids.len(), CASES.len(), "two cases share an id");
        let files: HashSet<_> = IMAGES.iter().map(|image| image.file).collect();
        assert_eq!(files.len(), IMAGES.len(), "two pictures share a file");
        for case in CASES {
            let attached: HashSet<_> = case.images.iter().collect();
            assert_eq!(attached.len(), case.images.len(), "{} attaches a picture twice", case.id);
        }
    }

    #[test]
    fn every_case_names_pictures_of_the_set_and_relevant_ones_among_its_own() {
        assert!(CASES.len() >= 28);
        for case in CASES {
            assert!(!case.images.is_empty(), "{} has no picture", case.id);
            assert!(!case.question.trim().is_empty() && !case.reference.trim().is_empty(), "{} is blank", case.id);
            for file in case.images {
                assert!(image(file).is_some(), "{} attaches {file}, which is not in IMAGES", case.id);
            }
            for file in case.relevant {
                assert!(case.images.contains(file), "{} declares {file} relevant but does not attach it", case.id);
            }
            let relevant: HashSet<_> = case.relevant.iter().collect();
            assert_eq!(relevant.len(), case.relevant.len(), "{} declares a picture relevant twice", case.id);
        }
    }

    #[test]
    fn half_the_cases_are_korean_and_half_english() {
        let korean = CASES.iter().filter(|case| is_korean(case)).count();
        assert_eq!(korean * 2, CASES.len(), "{korean} Korean cases of {}", CASES.len());
        for case in CASES {
            let language = case.tags.first().copied();
            assert!(matches!(language, Some("ko" | "en")), "{}'s first tag is not ko or en", case.id);
            let other = if is_korean(case) { "en" } else { "ko" };
            assert!(!case.tags.contains(&other), "{} is tagged both ko and en", case.id);
            assert_eq!(case.id.starts_with("ko-"), is_korean(case), "{}'s id does not say its language", case.id);
            assert_eq!(has_hangul(case.question), is_korean(case), "{}'s question is not in its language", case.id);
            assert_eq!(has_hangul(case.reference), is_korean(case), "{}'s reference is not in its language", case.id);
        }
    }

    #[test]
    fn retrieval_cases_attach_many_pictures_of_which_one_or_two_answer() {
        let retrieval: Vec<_> = CASES.iter().filter(|case| is_retrieval(case)).collect();
        assert!(retrieval.len() >= 5, "only {} retrieval cases", retrieval.len());
        assert!(retrieval.iter().any(|case| is_korean(case)) && retrieval.iter().any(|case| !is_korean(case)));
        assert!(retrieval.iter().any(|case| case.relevant.len() == 2));
        for case in CASES {
            // Relevance is declared exactly where retrieval is measured, and such cases say so in their tags.
            assert_eq!(case.tags.contains(&"retrieval"), !case.relevant.is_empty(), "{}", case.id);
            if !case.relevant.is_empty() {
                assert!(is_retrieval(case), "{} declares relevance but is not a retrieval case", case.id);
            }
        }
    }

    #[test]
    fn the_prototypes_two_questions_are_asked_about_the_dog_and_the_cat() {
        for question in ["두 사진의 공통점이 뭐야?", "두 사진의 차이점이 뭐야?"] {
            let case = CASES.iter().find(|case| case.question == question).expect(question);
            assert_eq!(case.images, ["dog.svg", "cat.svg"]);
            assert!(case.tags.contains(&"compare"));
        }
    }

    #[test]
    fn every_subject_has_a_case() {
        for tag in ["shapes", "colour", "count", "ocr", "sign", "animals", "chart", "receipt", "time", "compare"] {
            for language in ["ko", "en"] {
                let covered = CASES.iter().any(|case| case.tags.contains(&tag) && case.tags[0] == language);
                // Shapes are asked about in English only; everything else in both languages.
                assert!(covered || (tag == "shapes" && language == "ko"), "no {language} case tagged {tag}");
            }
        }
    }

    #[test]
    fn captions_describe_without_giving_answers_away() {
        for image in IMAGES {
            assert!(!image.caption_en.trim().is_empty() && !has_hangul(image.caption_en), "{}", image.file);
            assert!(has_hangul(image.caption_ko), "{}'s Korean caption has no Hangul", image.file);
            for caption in [image.caption_en, image.caption_ko] {
                // A caption with a number in it would give away a count, a price, a time or a date.
                assert!(!caption.chars().any(|c| c.is_ascii_digit()), "{}'s caption has a digit", image.file);
            }
        }
        // Where a question asks to read something off a picture, its captions do not say it word for word.
        let reading = |case: &&SampleCase| ["ocr", "chart", "count", "time"].iter().any(|tag| case.tags.contains(tag));
        for case in CASES.iter().filter(reading) {
            for file in case.images {
                let image = image(file).unwrap();
                for caption in [image.caption_en, image.caption_ko] {
                    assert!(!caption.contains(case.reference), "{file}'s caption gives {} away", case.id);
                }
            }
        }
    }

    /// Checks that `svg` nests its elements properly: every start tag is closed, in order, and nothing but
    /// elements, comments and text appears. Attribute values here never contain `<` or `>`.
    fn check_nesting(file: &str, svg: &str) {
        let mut open: Vec<&str> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let text = &rest[..start];
            assert!(!text.contains('>'), "{file}: a stray '>'");
            rest = &rest[start..];
            if let Some(comment) = rest.strip_prefix("<!--") {
                let end = comment.find("-->").unwrap_or_else(|| panic!("{file}: an unclosed comment"));
                rest = &comment[end + 3..];
                continue;
            }
            let end = rest.find('>').unwrap_or_else(|| panic!("{file}: an unclosed tag"));
            let tag = &rest[1..end];
            rest = &rest[end + 1..];
            assert_eq!(tag.matches('"').count() % 2, 0, "{file}: unbalanced quotes in <{tag}>");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop(), Some(name.trim()), "{file}: </{name}> closes the wrong element");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap_or_default();
                assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()), "{file}: <{tag}>");
                open.push(name);
            }
        }
        assert!(rest.trim().is_empty(), "{file}: text after the root element");
        assert!(open.is_empty(), "{file}: {open:?} left open");
        for (at, _) in svg.match_indices('&') {
            let entity = &svg[at..svg[at..].find(';').map_or(svg.len(), |end| at + end + 1)];
            let known = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity) || entity.starts_with("&#");
            assert!(known, "{file}: a bare '&'");
        }
    }

    #[test]
    fn every_picture_is_a_plain_self_contained_svg_of_its_stated_size() {
        for image in IMAGES {
            let path = sample_dir().join(image.file);
            let svg = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let file = image.file;
            assert!(svg.len() <= 8 * 1024, "{file} is {} bytes; the sample pictures stay small", svg.len());
            assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"), "{file} is not one <svg>");
            let root = &svg[..svg.find('>').unwrap()];
            let (w, h) = (image.width, image.height);
            for attribute in [
                "xmlns=\"http://www.w3.org/2000/svg\"".to_owned(),
                format!("width=\"{w}\""),
                format!("height=\"{h}\""),
                format!("viewBox=\"0 0 {w} {h}\""),
            ] {
                assert!(root.contains(&attribute), "{file}'s root lacks {attribute}");
            }
            let lower = svg.to_ascii_lowercase();
            for forbidden in ["<script", "href=\"http", "<image", "foreignobject", "@import", "url(http"] {
                assert!(!lower.contains(forbidden), "{file} contains {forbidden:?}");
            }
            // Event handler attributes (onload=, onclick=...) would be scripts too.
            assert!(
                !lower.split_whitespace().any(|word| word.starts_with("on") && word.contains('=')),
                "{file} has an event handler"
            );
            for family in svg.split("font-family=\"").skip(1) {
                let family = &family[..family.find('"').unwrap()];
                assert!(family == "sans-serif" || family == KOREAN_FONTS, "{file} uses the font {family:?}");
            }
            if has_hangul(&svg) {
                assert!(svg.contains(KOREAN_FONTS), "{file} has Korean text but not the Korean fonts");
            }
            check_nesting(file, &svg);
        }
    }

    #[test]
    fn every_file_in_the_folder_is_a_picture_of_the_set_and_used() {
        let used: HashSet<_> = CASES.iter().flat_map(|case| case.images.iter().copied()).collect();
        for image in IMAGES {
            assert!(used.contains(image.file), "no case attaches {}", image.file);
        }
        let mut files = 0;
        for entry in std::fs::read_dir(sample_dir()).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(image(&name).is_some(), "static/sample/{name} is not in IMAGES");
            files += 1;
        }
        assert_eq!(files, IMAGES.len());
    }
}

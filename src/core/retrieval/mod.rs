pub mod lexical;
pub mod vector;

//! The AI models file, in the shape of go-livepeer's `-aiModels` JSON: one
//! entry per (pipeline, model) with its warm flag and per-model price. The
//! reference orchestrator serves from it; `--expect aiModels=FILE` checks a
//! target against it (CFG-004).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::capability;

/// One AI model entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AiModel {
    pub pipeline: String,
    pub model_id: String,
    pub warm: bool,
    pub price_per_unit: i64,
    pub pixels_per_unit: i64,
    /// Concurrent requests the model accepts.
    pub capacity: u32,
    /// The capability number of `pipeline`.
    pub capability: u32,
}

/// Why a models file was refused; names the file and the place in it.
#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: [{index}].{field}: {message}")]
    Entry {
        path: PathBuf,
        index: usize,
        field: &'static str,
        message: String,
    },
}

/// An entry as written. Fields go-livepeer reads but the reference has no use
/// for (url, token, currency, optimization_flags) are accepted and ignored.
#[derive(Deserialize)]
struct RawModel {
    pipeline: String,
    model_id: String,
    #[serde(default)]
    warm: bool,
    #[serde(default)]
    price_per_unit: Option<Integer>,
    #[serde(default)]
    pixels_per_unit: Option<Integer>,
    #[serde(default)]
    capacity: Option<u32>,
}

/// go-livepeer accepts prices as JSON numbers or strings; the reference
/// accepts both, as integers in wei.
#[derive(Deserialize)]
#[serde(untagged)]
enum Integer {
    Number(i64),
    Text(String),
}

impl Integer {
    fn value(&self) -> Result<i64, String> {
        match self {
            Integer::Number(number) => Ok(*number),
            Integer::Text(text) => text
                .trim()
                .parse()
                .map_err(|_| format!("{text:?} is not an integer number of wei")),
        }
    }
}

/// Reads and validates a models file.
pub fn load_ai_models(path: &Path) -> Result<Vec<AiModel>, ModelsError> {
    let text = std::fs::read_to_string(path).map_err(|source| ModelsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_ai_models(&text, path)
}

/// Parses models file text; `path` only names the file in errors.
pub fn parse_ai_models(text: &str, path: &Path) -> Result<Vec<AiModel>, ModelsError> {
    let raw: Vec<RawModel> = serde_json::from_str(text).map_err(|error| ModelsError::Syntax {
        path: path.to_path_buf(),
        line: error.line(),
        column: error.column(),
        message: strip_location(&error.to_string()),
    })?;
    let mut models: Vec<AiModel> = Vec::with_capacity(raw.len());
    for (index, entry) in raw.into_iter().enumerate() {
        let problem = |field: &'static str, message: String| ModelsError::Entry {
            path: path.to_path_buf(),
            index,
            field,
            message,
        };
        let capability = capability::by_pipeline(&entry.pipeline)
            .ok_or_else(|| problem("pipeline", format!("unknown AI pipeline {:?}", entry.pipeline)))?;
        if entry.model_id.trim().is_empty() {
            return Err(problem("model_id", "is empty".into()));
        }
        let price_per_unit = entry
            .price_per_unit
            .map_or(Ok(0), |price| price.value())
            .map_err(|message| problem("price_per_unit", message))?;
        if price_per_unit < 0 {
            return Err(problem("price_per_unit", format!("{price_per_unit} is negative")));
        }
        let pixels_per_unit = entry
            .pixels_per_unit
            .map_or(Ok(1), |pixels| pixels.value())
            .map_err(|message| problem("pixels_per_unit", message))?;
        if pixels_per_unit <= 0 {
            return Err(problem("pixels_per_unit", format!("{pixels_per_unit} must be > 0")));
        }
        if models
            .iter()
            .any(|model| model.pipeline == entry.pipeline && model.model_id == entry.model_id)
        {
            return Err(problem(
                "model_id",
                format!("{} is listed twice for {}", entry.model_id, entry.pipeline),
            ));
        }
        models.push(AiModel {
            capability: capability.number,
            pipeline: entry.pipeline,
            model_id: entry.model_id,
            warm: entry.warm,
            price_per_unit,
            pixels_per_unit,
            capacity: entry.capacity.unwrap_or(1).max(1),
        });
    }
    Ok(models)
}

/// serde_json appends " at line L column C"; the error already shows them up front.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<AiModel>, ModelsError> {
        parse_ai_models(text, Path::new("aiModels.json"))
    }

    #[test]
    fn reads_go_livepeer_shape_with_numbers_and_strings() {
        let models = parse(
            r#"[
              {"pipeline": "text-to-image", "model_id": "ByteDance/SDXL-Lightning", "warm": true,
               "price_per_unit": 4768371, "pixels_per_unit": 1, "currency": "WEI"},
              {"pipeline": "llm", "model_id": "meta-llama/Meta-Llama-3.1-8B-Instruct",
               "price_per_unit": "180000000", "url": "http://runner:8000", "token": "secret"}
            ]"#,
        )
        .unwrap();
        assert_eq!(models.len(), 2);
        assert_eq!(models[0].capability, 27);
        assert!(models[0].warm);
        assert_eq!(models[1].capability, 33);
        assert_eq!(models[1].price_per_unit, 180_000_000);
        assert_eq!(models[1].pixels_per_unit, 1);
        assert_eq!(models[1].capacity, 1);
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let error = parse("[\n  {\"pipeline\": \"llm\",\n   \"model_id\": }\n]").unwrap_err();
        let text = error.to_string();
        assert!(text.starts_with("aiModels.json:3:"), "{text}");
        assert!(!text.contains(" at line "), "{text}");
    }

    #[test]
    fn unknown_pipeline_names_the_entry() {
        let error =
            parse(r#"[{"pipeline": "llm", "model_id": "a"}, {"pipeline": "dance", "model_id": "b"}]"#).unwrap_err();
        assert_eq!(
            error.to_string(),
            "aiModels.json: [1].pipeline: unknown AI pipeline \"dance\""
        );
    }

    #[test]
    fn refuses_bad_prices_and_duplicates() {
        let zero_pixels = parse(r#"[{"pipeline": "llm", "model_id": "a", "pixels_per_unit": 0}]"#).unwrap_err();
        assert!(zero_pixels.to_string().contains("[0].pixels_per_unit"));
        let text_price = parse(r#"[{"pipeline": "llm", "model_id": "a", "price_per_unit": "cheap"}]"#).unwrap_err();
        assert!(text_price.to_string().contains("[0].price_per_unit"));
        let twice =
            parse(r#"[{"pipeline": "llm", "model_id": "a"}, {"pipeline": "llm", "model_id": "a"}]"#).unwrap_err();
        assert!(twice.to_string().contains("[1].model_id"));
    }

    #[test]
    fn shipped_fixture_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/aiModels.json");
        let models = load_ai_models(&path).unwrap();
        assert!(models.len() >= 2);
    }
}

//! The AI models file, in the shape of go-livepeer's `-aiModels` JSON: one
//! entry per (pipeline, model) with its warm flag and per-model price. The
//! reference orchestrator serves from it; `--expect aiModels=FILE` checks a
//! target against it (CFG-004).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::capability;
use crate::input_file::{read_input_text, InputFileError, MAX_INPUT_FILE_BYTES};

/// Where a model's price comes from: go-livepeer reads `price_per_unit` as wei (an integer or
/// a decimal), as a currency amount converted at run time (`"0.02USD"`, or with `currency`), or
/// falls back to `-pricePerUnit` when it is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceSource {
    /// `price_per_unit` / `pixels_per_unit` wei per pixel.
    Wei,
    /// A currency amount: the wei price is unknown until converted.
    Currency(String),
    /// No `price_per_unit`: the orchestrator's `-pricePerUnit` applies.
    Default,
}

/// One AI model entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AiModel {
    pub pipeline: String,
    pub model_id: String,
    pub warm: bool,
    /// Wei per `pixels_per_unit` pixels when `price_source` is `Wei` (a decimal price is scaled
    /// into an integer over a power of ten); 0 otherwise.
    pub price_per_unit: i64,
    /// The file's `pixels_per_unit` times that power of ten; without one in the file (see
    /// `pixels_from_flag`) just the power of ten.
    pub pixels_per_unit: i64,
    /// No `pixels_per_unit` in the file: go-livepeer divides by its `-pixelsPerUnit`.
    pub pixels_from_flag: bool,
    pub price_source: PriceSource,
    /// `gateway`: the price applies to this gateway address only (go-livepeer per-gateway prices);
    /// `None` for every gateway (go-livepeer's `default`).
    pub gateway: Option<String>,
    /// Containers the entry runs (`capacity`, default 1). go-livepeer advertises one slot for a
    /// local entry, however many containers it runs, and `capacity` slots for an external
    /// container (`url`); live-video-to-video advertises idle containers.
    pub capacity: u32,
    /// `url`: an external container, which scales itself.
    pub external: bool,
    /// The capability number of `pipeline`.
    pub capability: u32,
}

/// Why a models file was refused; names the file and the place in it.
#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    #[error("{path}: {source}")]
    Read { path: PathBuf, source: InputFileError },
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
/// for (url, token, optimization_flags) are accepted and ignored.
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
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    gateway: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

/// go-livepeer accepts prices as JSON numbers or strings (integers, decimals, or amounts with
/// a currency suffix); pixel counts are integers.
#[derive(Deserialize)]
#[serde(untagged)]
enum Integer {
    Number(serde_json::Number),
    Text(String),
}

/// A non-negative decimal as an integer over a power of ten: `"1.25"` is (125, 100).
fn parse_decimal(text: &str) -> Result<(i64, i64), String> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = format!("{whole}{fraction}");
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(format!("{text:?} is not a non-negative number of wei"));
    }
    let too_big = || format!("{text:?} does not fit in 64 bits");
    let numerator = digits.parse::<i64>().map_err(|_| too_big())?;
    let scale = u32::try_from(fraction.len())
        .ok()
        .and_then(|places| 10i64.checked_pow(places))
        .ok_or_else(too_big)?;
    Ok((numerator, scale))
}

impl Integer {
    /// The value as written, numbers in decimal.
    fn text(&self) -> String {
        match self {
            Integer::Number(number) => number.to_string(),
            Integer::Text(text) => text.trim().to_string(),
        }
    }

    fn value(&self) -> Result<i64, String> {
        match self {
            Integer::Number(number) => number.as_i64().ok_or_else(|| {
                // JSON numbers past 64 bits arrive as whole floats.
                let whole = number.as_f64().is_some_and(|value| value.fract() == 0.0);
                match number.as_f64() {
                    Some(value) if whole && value > i64::MAX as f64 => {
                        format!("{number} is too large: at most {}", i64::MAX)
                    }
                    Some(value) if whole && value < i64::MIN as f64 => {
                        format!("{number} is too small: at least {}", i64::MIN)
                    }
                    _ => format!("{number} is not an integer"),
                }
            }),
            Integer::Text(text) => crate::integer::parse(text.trim()).map_err(|error| match error {
                crate::integer::IntegerError::NotAnInteger => format!("{text:?} is not an integer number of wei"),
                overflow => format!("{text:?} is {overflow}"),
            }),
        }
    }
}

/// Reads and validates a models file.
pub fn load_ai_models(path: &Path) -> Result<Vec<AiModel>, ModelsError> {
    let text = read_input_text(path, MAX_INPUT_FILE_BYTES).map_err(|source| ModelsError::Read {
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
        let pixels_from_flag = entry.pixels_per_unit.is_none();
        let pixels_per_unit = entry
            .pixels_per_unit
            .map_or(Ok(1), |pixels| pixels.value())
            .map_err(|message| problem("pixels_per_unit", message))?;
        if pixels_per_unit <= 0 {
            return Err(problem("pixels_per_unit", format!("{pixels_per_unit} must be > 0")));
        }
        let (price_per_unit, pixels_per_unit, price_source) = match &entry.price_per_unit {
            None => (0, pixels_per_unit, PriceSource::Default),
            Some(price) => {
                let text = price.text();
                let currency = entry
                    .currency
                    .as_deref()
                    .filter(|currency| !currency.is_empty() && !currency.eq_ignore_ascii_case("wei"));
                let amount_end = text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len());
                let (amount, suffix) = text.split_at(amount_end);
                let (numerator, scale) =
                    parse_decimal(amount.trim()).map_err(|message| problem("price_per_unit", message))?;
                match currency.or(Some(suffix).filter(|suffix| !suffix.is_empty())) {
                    Some(currency) if !currency.eq_ignore_ascii_case("wei") => {
                        (0, pixels_per_unit, PriceSource::Currency(currency.to_string()))
                    }
                    _ => {
                        let pixels = pixels_per_unit.checked_mul(scale).ok_or_else(|| {
                            problem("price_per_unit", format!("{text:?} has too many decimal places"))
                        })?;
                        (numerator, pixels, PriceSource::Wei)
                    }
                }
            }
        };
        // go-livepeer adds up an entry listed again (another gateway's price, more capacity), but
        // refuses to start with one model both warm and cold.
        let same_model = |model: &&AiModel| model.pipeline == entry.pipeline && model.model_id == entry.model_id;
        if models.iter().filter(same_model).any(|model| model.warm != entry.warm) {
            return Err(problem(
                "warm",
                format!("{} is listed both warm and cold for {}", entry.model_id, entry.pipeline),
            ));
        }
        models.push(AiModel {
            capability: capability.number,
            pipeline: entry.pipeline,
            model_id: entry.model_id,
            warm: entry.warm,
            price_per_unit,
            pixels_per_unit,
            pixels_from_flag,
            price_source,
            gateway: entry
                .gateway
                .filter(|gateway| !gateway.is_empty() && !gateway.eq_ignore_ascii_case("default")),
            capacity: entry.capacity.unwrap_or(1).max(1),
            external: entry.url.is_some_and(|url| !url.is_empty()),
        });
    }
    Ok(models)
}

impl AiModel {
    /// Wei per pixel as (numerator, denominator), given the orchestrator's `-pricePerUnit` and
    /// `-pixelsPerUnit`, which go-livepeer falls back to for a missing price or pixel count.
    /// `None` for a currency price, whose wei value needs a price feed.
    pub fn price_per_pixel(&self, base_price_per_unit: i64, base_pixels_per_unit: i64) -> Option<(i64, i64)> {
        let base_pixels = if self.pixels_from_flag { base_pixels_per_unit } else { 1 };
        match self.price_source {
            PriceSource::Wei => Some((self.price_per_unit, self.pixels_per_unit.saturating_mul(base_pixels))),
            PriceSource::Default => Some((base_price_per_unit, self.pixels_per_unit.saturating_mul(base_pixels))),
            PriceSource::Currency(_) => None,
        }
    }

    /// The slots a constraint advertises for this entry before any job runs.
    pub fn advertised_slots(&self) -> u32 {
        if self.external || self.capability == capability::LIVE_VIDEO_TO_VIDEO {
            self.capacity
        } else {
            1
        }
    }
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
        assert!(models[1].pixels_from_flag);
        assert_eq!(models[1].capacity, 1);
        assert!(models[1].external && !models[0].external);
    }

    #[test]
    fn prices_may_be_decimal_in_a_currency_or_missing() {
        let models = parse(
            r#"[
              {"pipeline": "llm", "model_id": "a", "price_per_unit": "1.25", "pixels_per_unit": 2},
              {"pipeline": "llm", "model_id": "b", "price_per_unit": "0.02USD"},
              {"pipeline": "llm", "model_id": "c", "price_per_unit": 3, "currency": "EUR"},
              {"pipeline": "llm", "model_id": "d", "gateway": "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"},
              {"pipeline": "llm", "model_id": "e", "price_per_unit": "7", "currency": "WEI"}
            ]"#,
        )
        .unwrap();
        assert_eq!((models[0].price_per_unit, models[0].pixels_per_unit), (125, 200));
        assert_eq!(models[0].price_source, PriceSource::Wei);
        assert_eq!(models[1].price_source, PriceSource::Currency("USD".into()));
        assert_eq!(models[2].price_source, PriceSource::Currency("EUR".into()));
        assert_eq!(models[3].price_source, PriceSource::Default);
        assert!(models[3].gateway.is_some());
        assert_eq!(
            (models[4].price_per_unit, models[4].price_source.clone()),
            (7, PriceSource::Wei)
        );
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
        let negative = parse(r#"[{"pipeline": "llm", "model_id": "a", "price_per_unit": -1}]"#).unwrap_err();
        assert!(negative.to_string().contains("[0].price_per_unit"));
        let warm_and_cold =
            parse(r#"[{"pipeline": "llm", "model_id": "a", "warm": true}, {"pipeline": "llm", "model_id": "a"}]"#)
                .unwrap_err();
        assert!(warm_and_cold.to_string().contains("[1].warm"), "{warm_and_cold}");
    }

    #[test]
    fn numbers_past_64_bits_are_named_too_large() {
        for (price, quoted) in [("99999999999999999999", "99999999999999999999"), ("1e20", "1e20")] {
            let entry = format!(r#"[{{"pipeline": "llm", "model_id": "a", "pixels_per_unit": {price}}}]"#);
            let text = parse(&entry).unwrap_err().to_string();
            assert!(
                text.contains("[0].pixels_per_unit") && text.contains("too large"),
                "{quoted}: {text}"
            );
        }
        let text = parse(r#"[{"pipeline": "llm", "model_id": "a", "pixels_per_unit": "99999999999999999999"}]"#)
            .unwrap_err()
            .to_string();
        assert!(text.contains("too large: at most 9223372036854775807"), "{text}");
        let text = parse(r#"[{"pipeline": "llm", "model_id": "a", "pixels_per_unit": 1.5}]"#)
            .unwrap_err()
            .to_string();
        assert!(text.contains("not an integer") && !text.contains("too large"), "{text}");
    }

    #[test]
    fn a_model_listed_again_prices_another_gateway_and_default_means_every_gateway() {
        let models = parse(
            r#"[{"pipeline": "llm", "model_id": "a", "price_per_unit": 10, "gateway": "default"},
                {"pipeline": "llm", "model_id": "a", "price_per_unit": 5,
                 "gateway": "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"}]"#,
        )
        .unwrap();
        assert_eq!(models[0].gateway, None);
        assert!(models[1].gateway.is_some());
    }

    #[test]
    fn missing_prices_and_pixels_fall_back_to_the_orchestrators_flags() {
        let models = parse(
            r#"[{"pipeline": "llm", "model_id": "a"},
                {"pipeline": "llm", "model_id": "b", "pixels_per_unit": 4},
                {"pipeline": "llm", "model_id": "c", "price_per_unit": 9},
                {"pipeline": "llm", "model_id": "d", "price_per_unit": "1.5", "pixels_per_unit": 2}]"#,
        )
        .unwrap();
        let prices: Vec<_> = models.iter().map(|model| model.price_per_pixel(1000, 3)).collect();
        assert_eq!(prices, [Some((1000, 3)), Some((1000, 4)), Some((9, 3)), Some((15, 20))]);
    }

    #[test]
    fn shipped_fixture_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/aiModels.json");
        let models = load_ai_models(&path).unwrap();
        assert!(models.len() >= 2);
    }
}

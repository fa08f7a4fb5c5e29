//! A Parquet file loaded as the CSV text its declared columns read as (see
//! `data::parquet`), its problems and rejected rows placed at its rows.

use super::*;
use crate::data::parquet::{self, ParquetError};

/// Load the Parquet file at `path` under the model's contract, as [`load`]
/// loads a CSV file.
pub fn load_parquet(
    path: &Path,
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
) -> Result<Loaded, LoadError> {
    let rows = match parquet::read(path, model) {
        Ok(r) => r,
        Err(ParquetError::Io(e)) => return Err(LoadError::Io(e)),
        Err(ParquetError::Invalid(problems)) => return Err(invalid(problems)),
    };
    match load_bytes(&rows.csv, DataFormat::Csv, model, needed, policy) {
        Ok(mut loaded) => {
            for r in &mut loaded.rejected {
                rows.locate_rejected(r);
            }
            Ok(loaded)
        }
        Err(LoadError::Invalid(mut problems, total)) => {
            for p in &mut problems {
                rows.locate(p);
            }
            Err(LoadError::Invalid(problems, total))
        }
        Err(e) => Err(e),
    }
}

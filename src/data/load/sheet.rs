//! A sheet of a workbook loaded as the CSV text it reads as (see
//! `data::excel`), its problems and rejected rows placed at its cells.

use super::*;
use crate::data::excel::{self, SheetError};

/// Load the sheet `sheet` (the first when `None`) of the workbook at `path`
/// under the model's contract, as [`load`] loads a CSV file.
pub fn load_sheet(
    path: &Path,
    sheet: Option<&str>,
    model: &Model,
    needed: &[bool],
    policy: OnInvalid,
) -> Result<Loaded, LoadError> {
    let sheet = match excel::read(path, sheet, model) {
        Ok(s) => s,
        Err(SheetError::Io(e)) => return Err(LoadError::Io(e)),
        Err(SheetError::Invalid(problems)) => return Err(invalid(problems)),
    };
    match load_bytes(&sheet.csv, DataFormat::Csv, model, needed, policy) {
        Ok(mut loaded) => {
            for r in &mut loaded.rejected {
                sheet.locate_rejected(r);
            }
            Ok(loaded)
        }
        Err(LoadError::Invalid(mut problems, total)) => {
            for p in &mut problems {
                sheet.locate(p);
            }
            Err(LoadError::Invalid(problems, total))
        }
        Err(e) => Err(e),
    }
}

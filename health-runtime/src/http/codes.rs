//! The HTTP status code each report status is answered with: 200 for the statuses that
//! pass and 503 for the others unless a router says otherwise.

use axum::http::StatusCode;

use crate::error::ConfigError;
use crate::probe::ReportStatus;

/// The status codes of one router's reports.
#[derive(Debug, Clone, Default)]
pub(crate) struct StatusCodes {
    /// Codes set per report status, the last one set winning.
    overrides: Vec<(ReportStatus, u16)>,
    /// Every report answered 200, its status only in the body.
    always_ok: bool,
}

impl StatusCodes {
    pub(crate) fn set(&mut self, status: ReportStatus, code: u16) {
        self.overrides.retain(|(set, _)| *set != status);
        self.overrides.push((status, code));
    }

    pub(crate) fn always_ok(&mut self) {
        self.always_ok = true;
    }

    /// Refuses a code a report cannot be answered with: not a 2xx with a body, a 4xx or a
    /// 5xx.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        for &(status, code) in &self.overrides {
            let answers_a_body = matches!(code, 200..=299 if code != 204 && code != 205);
            if !(answers_a_body || (400..=599).contains(&code)) {
                return Err(ConfigError::InvalidStatusCode {
                    status: status.as_str(),
                    code,
                });
            }
        }
        Ok(())
    }

    /// The code of a report whose status is `status`.
    pub(crate) fn of(&self, status: ReportStatus) -> StatusCode {
        if self.always_ok {
            return StatusCode::OK;
        }
        let set = self
            .overrides
            .iter()
            .find(|(set, _)| *set == status)
            .and_then(|(_, code)| StatusCode::from_u16(*code).ok());
        match set {
            Some(code) => code,
            None if status.passes() => StatusCode::OK,
            None => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_overrides_and_always_ok() {
        let mut codes = StatusCodes::default();
        assert_eq!(codes.of(ReportStatus::Degraded), StatusCode::OK);
        assert_eq!(
            codes.of(ReportStatus::NotReady),
            StatusCode::SERVICE_UNAVAILABLE
        );
        codes.set(ReportStatus::Degraded, 503);
        codes.set(ReportStatus::Degraded, 207);
        assert_eq!(codes.of(ReportStatus::Degraded), StatusCode::MULTI_STATUS);
        assert_eq!(codes.validate(), Ok(()));
        codes.always_ok();
        assert_eq!(codes.of(ReportStatus::Degraded), StatusCode::OK);
        assert_eq!(codes.of(ReportStatus::ShuttingDown), StatusCode::OK);
    }

    #[test]
    fn codes_without_a_report_body_are_refused() {
        for code in [0, 99, 100, 101, 204, 205, 301, 304, 399, 600, 999] {
            let mut codes = StatusCodes::default();
            codes.set(ReportStatus::Degraded, code);
            assert_eq!(
                codes.validate(),
                Err(ConfigError::InvalidStatusCode {
                    status: "degraded",
                    code
                }),
                "{code}"
            );
        }
        for code in [200, 207, 429, 500, 503, 599] {
            let mut codes = StatusCodes::default();
            codes.set(ReportStatus::Degraded, code);
            assert_eq!(codes.validate(), Ok(()), "{code}");
        }
    }
}

//! The error every layer converts into, and nothing more: its wire name, HTTP status (under
//! the [`ErrorStatus`] policy `--error-status` chose), `X-Amzn-Errortype` value and modeled
//! members. Only [`super::error_response`] turns it into bytes.

use serde_json::{Map, Value};

use crate::model::validate::{FieldViolation, InputError, MAX_REPORTED};

/// Namespace of the service's modeled error shapes.
pub const SERVICE_NAMESPACE: &str = "com.amazonaws.partnercentralselling";
/// Namespace AWS's front end uses for protocol and authentication failures.
pub const FRONTEND_NAMESPACE: &str = "com.amazon.coral.service";

/// Where the `X-Amzn-Errortype` header of a modeled error points, after the error's name: the
/// value AWS's front end sends for this service (captured), e.g.
/// `ValidationException:http://internal.amazon.com/coral/com.amazon.partnerintegrationapi.common/`.
/// Every SDK cuts the header at the first `:` (and boto3 reads only the body's `__type`).
pub const SERVICE_ERROR_TYPE_SUFFIX: &str =
    ":http://internal.amazon.com/coral/com.amazon.partnerintegrationapi.common/";

/// `X-Amzn-Errortype` of a modeled error: its name and [`SERVICE_ERROR_TYPE_SUFFIX`].
macro_rules! coral_error_type {
    ($name:literal) => {
        concat!(
            $name,
            ":http://internal.amazon.com/coral/com.amazon.partnerintegrationapi.common/"
        )
    };
}

/// The HTTP statuses of the service's modeled client errors (`serve --error-status`).
///
/// AWS's API reference lists AccessDenied, Conflict, ResourceNotFound, ServiceQuotaExceeded,
/// Throttling and Validation as HTTP 400 on every operation page, and the one real capture of a
/// modeled error (AccessDenied) was 400; the Smithy model's `@httpError` traits say
/// 403/409/404/402/429. SDKs dispatch on the body's `__type` and retry ThrottlingException
/// by its name, so both behave the same in every client. Front-end errors (serialization,
/// routing, signatures, body limits, `InternalFailure`) and `InternalServerException` (500)
/// have one status in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ErrorStatus {
    /// What the real service sends: 400 for every modeled client error.
    #[default]
    Aws,
    /// The Smithy model's `@httpError`: AccessDenied 403, ResourceNotFound 404, Conflict 409,
    /// ServiceQuotaExceeded 402, Throttling 429.
    Model,
}

/// Every error the server can answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    // Modeled by the service.
    Validation,
    AccessDenied,
    ResourceNotFound,
    Conflict,
    ServiceQuotaExceeded,
    Throttling,
    InternalServer,
    // Front-end (protocol and authentication) errors, not modeled.
    Serialization,
    UnknownOperation,
    MethodNotAllowed,
    UnsupportedMediaType,
    RequestEntityTooLarge,
    RequestTimeout,
    MissingAuthenticationToken,
    IncompleteSignature,
    InvalidSignature,
    UnrecognizedClient,
    /// An operation of the model this emulator does not implement yet (LocalStack's
    /// convention: 501 `InternalFailure`, which no SDK retries).
    NotImplemented,
}

impl ErrorKind {
    /// The error's short name, as clients see it.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Validation => "ValidationException",
            ErrorKind::AccessDenied => "AccessDeniedException",
            ErrorKind::ResourceNotFound => "ResourceNotFoundException",
            ErrorKind::Conflict => "ConflictException",
            ErrorKind::ServiceQuotaExceeded => "ServiceQuotaExceededException",
            ErrorKind::Throttling => "ThrottlingException",
            ErrorKind::InternalServer => "InternalServerException",
            ErrorKind::Serialization => "SerializationException",
            ErrorKind::UnknownOperation => "UnknownOperationException",
            ErrorKind::MethodNotAllowed => "MethodNotAllowedException",
            ErrorKind::UnsupportedMediaType => "UnsupportedMediaTypeException",
            ErrorKind::RequestEntityTooLarge => "RequestEntityTooLargeException",
            ErrorKind::RequestTimeout => "RequestTimeoutException",
            ErrorKind::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ErrorKind::IncompleteSignature => "IncompleteSignatureException",
            ErrorKind::InvalidSignature => "InvalidSignatureException",
            ErrorKind::UnrecognizedClient => "UnrecognizedClientException",
            ErrorKind::NotImplemented => "InternalFailure",
        }
    }

    /// HTTP status under `policy`: a modeled client error is 400 as AWS sends it
    /// ([`ErrorStatus::Aws`]) or its Smithy `@httpError` ([`ErrorStatus::Model`]); every other
    /// error has one status.
    pub fn status(self, policy: ErrorStatus) -> u16 {
        if policy == ErrorStatus::Aws && self.is_modeled() && self != ErrorKind::InternalServer {
            return 400;
        }
        match self {
            ErrorKind::Validation | ErrorKind::Serialization => 400,
            ErrorKind::AccessDenied
            | ErrorKind::MissingAuthenticationToken
            | ErrorKind::IncompleteSignature
            | ErrorKind::InvalidSignature
            | ErrorKind::UnrecognizedClient => 403,
            ErrorKind::ResourceNotFound | ErrorKind::UnknownOperation => 404,
            ErrorKind::MethodNotAllowed => 405,
            ErrorKind::RequestTimeout => 408,
            ErrorKind::Conflict => 409,
            ErrorKind::ServiceQuotaExceeded => 402,
            ErrorKind::RequestEntityTooLarge => 413,
            ErrorKind::UnsupportedMediaType => 415,
            ErrorKind::Throttling => 429,
            ErrorKind::InternalServer => 500,
            ErrorKind::NotImplemented => 501,
        }
    }

    /// The `X-Amzn-Errortype` header: for a modeled error the name with the Coral suffix AWS
    /// sends ([`SERVICE_ERROR_TYPE_SUFFIX`]); for a front-end error its bare name (no capture of
    /// this service's front-end errors exists).
    pub fn error_type_header(self) -> &'static str {
        match self {
            ErrorKind::Validation => coral_error_type!("ValidationException"),
            ErrorKind::AccessDenied => coral_error_type!("AccessDeniedException"),
            ErrorKind::ResourceNotFound => coral_error_type!("ResourceNotFoundException"),
            ErrorKind::Conflict => coral_error_type!("ConflictException"),
            ErrorKind::ServiceQuotaExceeded => coral_error_type!("ServiceQuotaExceededException"),
            ErrorKind::Throttling => coral_error_type!("ThrottlingException"),
            ErrorKind::InternalServer => coral_error_type!("InternalServerException"),
            other => other.name(),
        }
    }

    /// Whether the error is a shape of the service model.
    pub fn is_modeled(self) -> bool {
        matches!(
            self,
            ErrorKind::Validation
                | ErrorKind::AccessDenied
                | ErrorKind::ResourceNotFound
                | ErrorKind::Conflict
                | ErrorKind::ServiceQuotaExceeded
                | ErrorKind::Throttling
                | ErrorKind::InternalServer
        )
    }

    /// The full shape id written as `__type`.
    pub fn type_id(self) -> String {
        let ns = if self.is_modeled() {
            SERVICE_NAMESPACE
        } else {
            FRONTEND_NAMESPACE
        };
        format!("{ns}#{}", self.name())
    }
}

/// An error answer: kind, message and the shape's other members.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    /// Modeled members besides `Message` (e.g. `Reason`, `ErrorList`).
    pub fields: Map<String, Value>,
    /// Extra response headers (e.g. `Allow` on 405).
    pub headers: Vec<(&'static str, String)>,
}

/// `ValidationException.Reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationReason {
    RequestValidationFailed,
    BusinessValidationFailed,
}

impl ValidationReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ValidationReason::RequestValidationFailed => "REQUEST_VALIDATION_FAILED",
            ValidationReason::BusinessValidationFailed => "BUSINESS_VALIDATION_FAILED",
        }
    }
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            fields: Map::new(),
            headers: Vec::new(),
        }
    }

    pub fn with_field(mut self, name: &str, value: Value) -> Self {
        self.fields.insert(name.to_string(), value);
        self
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// A `ValidationException` with one `ErrorList` entry per violation.
    pub fn validation(reason: ValidationReason, violations: &[FieldViolation]) -> Self {
        Self::validation_of(reason, violations, 0)
    }

    /// A `ValidationException` with one `ErrorList` entry for each of the first
    /// [`MAX_REPORTED`] violations; the message counts the others ("and N more").
    pub fn validation_of(
        reason: ValidationReason,
        violations: &[FieldViolation],
        omitted: usize,
    ) -> Self {
        let shown = &violations[..violations.len().min(MAX_REPORTED)];
        let omitted = omitted + (violations.len() - shown.len());
        let mut message = match (shown, omitted) {
            ([one], 0) => one.message.clone(),
            (many, _) => format!(
                "{} validation errors detected: {}",
                many.len() + omitted,
                many.iter()
                    .map(|v| v.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        };
        if omitted > 0 {
            message.push_str(&format!(" ... and {omitted} more."));
        }
        let list: Vec<Value> = shown
            .iter()
            .map(|v| {
                serde_json::json!({"FieldName": v.field, "Code": v.code.as_str(), "Message": v.message})
            })
            .collect();
        ApiError::new(ErrorKind::Validation, message)
            .with_field("Reason", Value::String(reason.as_str().to_string()))
            .with_field("ErrorList", Value::Array(list))
    }

    pub fn internal() -> Self {
        ApiError::new(
            ErrorKind::InternalServer,
            "An internal error occurred. See the server log.",
        )
    }
}

impl From<InputError> for ApiError {
    fn from(e: InputError) -> Self {
        match e {
            InputError::Serialization(m) => ApiError::new(ErrorKind::Serialization, m),
            InputError::Invalid(v, omitted) => {
                ApiError::validation_of(ValidationReason::RequestValidationFailed, &v, omitted)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ErrorKind; 18] = [
        ErrorKind::Validation,
        ErrorKind::AccessDenied,
        ErrorKind::ResourceNotFound,
        ErrorKind::Conflict,
        ErrorKind::ServiceQuotaExceeded,
        ErrorKind::Throttling,
        ErrorKind::InternalServer,
        ErrorKind::Serialization,
        ErrorKind::UnknownOperation,
        ErrorKind::MethodNotAllowed,
        ErrorKind::UnsupportedMediaType,
        ErrorKind::RequestEntityTooLarge,
        ErrorKind::RequestTimeout,
        ErrorKind::MissingAuthenticationToken,
        ErrorKind::IncompleteSignature,
        ErrorKind::InvalidSignature,
        ErrorKind::UnrecognizedClient,
        ErrorKind::NotImplemented,
    ];

    #[test]
    fn modeled_client_errors_are_400_as_aws_sends_them_or_the_smithy_status() {
        let table = [
            (ErrorKind::Validation, 400, 400),
            (ErrorKind::AccessDenied, 400, 403),
            (ErrorKind::ResourceNotFound, 400, 404),
            (ErrorKind::Conflict, 400, 409),
            (ErrorKind::ServiceQuotaExceeded, 400, 402),
            (ErrorKind::Throttling, 400, 429),
            (ErrorKind::InternalServer, 500, 500),
        ];
        for (kind, aws, model) in table {
            assert_eq!(kind.status(ErrorStatus::Aws), aws, "{kind:?}");
            assert_eq!(kind.status(ErrorStatus::Model), model, "{kind:?}");
        }
    }

    #[test]
    fn front_end_errors_keep_one_status_in_both_policies() {
        for kind in ALL.into_iter().filter(|k| !k.is_modeled()) {
            assert_eq!(
                kind.status(ErrorStatus::Aws),
                kind.status(ErrorStatus::Model),
                "{kind:?}"
            );
        }
        assert_eq!(ErrorKind::UnknownOperation.status(ErrorStatus::Aws), 404);
        assert_eq!(ErrorKind::InvalidSignature.status(ErrorStatus::Aws), 403);
        assert_eq!(ErrorKind::NotImplemented.status(ErrorStatus::Aws), 501);
    }

    #[test]
    fn the_error_type_header_names_the_error_before_any_colon() {
        for kind in ALL {
            let header = kind.error_type_header();
            assert_eq!(header.split(':').next(), Some(kind.name()));
            if kind.is_modeled() {
                assert_eq!(
                    header,
                    format!("{}{SERVICE_ERROR_TYPE_SUFFIX}", kind.name())
                );
            } else {
                assert_eq!(header, kind.name());
            }
        }
    }
}

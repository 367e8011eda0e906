//! The error every layer converts into, and nothing more: its wire name, HTTP status and
//! modeled members. Only [`super::error_response`] turns it into bytes.

use serde_json::{Map, Value};

use crate::model::validate::{FieldViolation, InputError, MAX_REPORTED};

/// Namespace of the service's modeled error shapes.
pub const SERVICE_NAMESPACE: &str = "com.amazonaws.partnercentralselling";
/// Namespace AWS's front end uses for protocol and authentication failures.
pub const FRONTEND_NAMESPACE: &str = "com.amazon.coral.service";

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

    /// HTTP status: the Smithy model's `@httpError` for modeled errors (spec §7).
    pub fn status(self) -> u16 {
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

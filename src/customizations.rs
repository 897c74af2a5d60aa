//! Hand-written conveniences on generated models: what a bare string means as a request body.

use crate::models::{Prompt, PromptType, Session};

/// A session named `display_name` (what `sessions().create("Who am I")` posts).
impl From<&str> for Session {
    fn from(display_name: &str) -> Self {
        Session {
            odata_type: Some(format!("#{}", Session::ODATA_TYPE)),
            display_name: Some(Some(display_name.to_string())),
            ..Session::default()
        }
    }
}

impl From<String> for Session {
    fn from(display_name: String) -> Self {
        Session::from(display_name.as_str())
    }
}

/// A prompt of type `prompt` with this content (the only type the service supports).
impl From<&str> for Prompt {
    fn from(content: &str) -> Self {
        Prompt {
            odata_type: Some(format!("#{}", Prompt::ODATA_TYPE)),
            type_: Some(PromptType::Prompt),
            content: Some(Some(content.to_string())),
            ..Prompt::default()
        }
    }
}

impl From<String> for Prompt {
    fn from(content: String) -> Self {
        Prompt::from(content.as_str())
    }
}

//! Hand-written conveniences on generated models: what a bare string means as a request body.

use crate::models::{Prompt, PromptType, Session};

/// A session named `display_name` (what `sessions().create("Who am I")` posts).
impl From<&str> for Session {
    fn from(display_name: &str) -> Self {
        let mut session = Session::new().with_display_name(display_name);
        session.odata_type = Some(format!("#{}", Session::ODATA_TYPE));
        session
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
        let mut prompt = Prompt::new(PromptType::Prompt).with_content(content);
        prompt.odata_type = Some(format!("#{}", Prompt::ODATA_TYPE));
        prompt
    }
}

impl From<String> for Prompt {
    fn from(content: String) -> Self {
        Prompt::from(content.as_str())
    }
}

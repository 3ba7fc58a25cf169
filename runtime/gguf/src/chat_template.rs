//! Rendering of Hugging Face-style Jinja chat templates with `minijinja`.

use minijinja::syntax::SyntaxConfig;
use minijinja::{context, Environment, Error, ErrorKind, Value};

use crate::error::{GgufError, Result};

fn template_err(e: impl std::fmt::Display) -> GgufError {
    GgufError::ChatTemplate {
        reason: e.to_string(),
    }
}

/// Renders `template` with the variables HF's `apply_chat_template` provides:
/// `messages` (list of `{role, content}`), `add_generation_prompt`,
/// `bos_token`, `eos_token`, and the `raise_exception(msg)` function.
///
/// HF renders with `trim_blocks` and `lstrip_blocks` on, which matters for
/// templates written over several lines; Python string methods used by
/// common templates (`.strip()`, `.startswith()`, ...) come from
/// `minijinja-contrib`'s pycompat layer.
pub fn render_chat_template(
    template: &str,
    messages: &[(&str, &str)],
    add_generation_prompt: bool,
    bos_token: &str,
    eos_token: &str,
) -> Result<String> {
    let mut env = Environment::new();
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(template_err)?;
    env.set_syntax(syntax);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.add_function("raise_exception", |msg: String| -> Result<Value, Error> {
        Err(Error::new(ErrorKind::InvalidOperation, msg))
    });
    env.add_template("chat", template).map_err(template_err)?;
    let msgs: Vec<Value> = messages
        .iter()
        .map(|&(role, content)| context! { role => role, content => content })
        .collect();
    env.get_template("chat")
        .and_then(|t| {
            t.render(context! {
                messages => msgs,
                add_generation_prompt => add_generation_prompt,
                bos_token => bos_token,
                eos_token => eos_token,
            })
        })
        .map_err(template_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_loop_and_generation_prompt() {
        let t = "{% for m in messages %}[{{ m['role'] }}:{{ m.content | trim }}]\n{% endfor %}\
                 {% if add_generation_prompt %}{{ bos_token }}{% endif %}";
        let s = render_chat_template(
            t,
            &[("user", " hi "), ("assistant", "yo")],
            true,
            "<s>",
            "</s>",
        )
        .unwrap();
        assert_eq!(s, "[user:hi]\n[assistant:yo]\n<s>");
    }

    #[test]
    fn python_string_methods_and_raise_exception() {
        let t = "{% if messages[0].content.startswith('x') %}{{ raise_exception('no x') }}{% endif %}{{ messages[0].content.strip() }}";
        assert_eq!(
            render_chat_template(t, &[("user", " a ")], false, "", "").unwrap(),
            "a"
        );
        let e = render_chat_template(t, &[("user", "xa")], false, "", "").unwrap_err();
        assert!(e.to_string().contains("no x"), "{e}");
    }

    #[test]
    fn syntax_error_is_reported() {
        assert!(render_chat_template("{% for %}", &[], false, "", "").is_err());
    }
}

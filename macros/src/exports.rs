//! Every path into the runtime that generated code names, in one table (the manner of
//! Rocket's `codegen/src/exports.rs`): generated code names the runtime by absolute path, so
//! a user's own `Flow` or `Result` never stands in for ours, and a renamed item is renamed here.

use proc_macro2::{Ident, Punct, Spacing, Span, TokenStream};
use quote::{ToTokens, TokenStreamExt};

/// An absolute path under `::aqueduct`, e.g. `::aqueduct::__private::Flow`.
#[derive(Clone, Copy)]
pub(crate) struct RuntimePath(&'static str);

impl RuntimePath {
    /// The path with every token at `span`, so an error in what it names is reported there.
    pub(crate) fn at(self, span: Span) -> TokenStream {
        let mut tokens = TokenStream::new();
        for segment in ["aqueduct"].into_iter().chain(self.0.split("::")) {
            for spacing in [Spacing::Joint, Spacing::Alone] {
                let mut colon = Punct::new(':', spacing);
                colon.set_span(span);
                tokens.append(colon);
            }
            tokens.append(Ident::new(segment, span));
        }
        tokens
    }
}

impl ToTokens for RuntimePath {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(self.at(Span::call_site()));
    }
}

macro_rules! runtime_paths {
    ($($name:ident => $path:literal,)*) => {
        $(pub(crate) const $name: RuntimePath = RuntimePath($path);)*
    };
}

runtime_paths! {
    // The integration.
    INTEGRATION => "Integration",
    RUN_MAIN => "__private::run_main",
    SCHEMA_OF => "__private::SchemaOf",
    CONFIG_SCHEMA => "__private::ConfigSchema",
    NO_CONFIG_SCHEMA => "__private::NoConfigSchema",
    // A flow's descriptor.
    FLOW => "__private::Flow",
    FLOW_DESCRIPTOR => "__private::FlowDescriptor",
    WEBHOOK_FLOW => "__private::WebhookFlow",
    PREPROCESS_FLOW => "__private::PreprocessFlow",
    TRIGGER => "__private::Trigger",
    OVERLAP => "__private::Overlap",
    CRON => "__private::Cron",
    CRON_FIELD => "__private::CronField",
    BROKER => "__private::Broker",
    BROKER_URL => "__private::BrokerUrl",
    POLICY => "__private::Policy",
    REQUEST_KEY => "__private::RequestKey",
    RETENTION => "__private::Retention",
    HANDLER => "__private::Handler",
    FLOW_RESULT => "__private::FlowResult",
    SYNC_RESULT => "__private::SyncResult",
    INVOCABLE => "__private::Invocable",
    SYNC_METHOD => "__private::SyncMethod",
    CALLBACKS => "__private::Callbacks",
    CALLBACK_HOSTS => "__private::CallbackHosts",
    CALLBACK_SECRET => "__private::CallbackSecret",
    // What a flow reads from a request.
    REQUEST => "__private::Request",
    FROM_REQUEST => "__private::FromRequest",
    REJECTION => "__private::Rejection",
    // Signatures and handshakes.
    VERIFIER => "__private::Verifier",
    SCHEME => "__private::Scheme",
    ENCODING => "__private::Encoding",
    SECRET => "Secret",
    SECRET_FIELD => "__private::SecretField",
    HANDSHAKE => "__private::Handshake",
    // What `integration!` checks across flows at compile time.
    SHARE_A_NAME => "__private::share_a_name",
    SHARE_A_PATH => "__private::share_a_path",
    SHARE_AN_EVENT => "__private::share_an_event",
    BOTH_ON_ACTIVATE => "__private::both_on_activate",
    BOTH_ON_DEACTIVATE => "__private::both_on_deactivate",
    PREPROCESS_LISTED => "__private::preprocess_listed",
    // Checks that the source a flow uses is in this build (`aqueduct`'s features).
    NATS_FEATURE => "__nats_feature",
    AMQP_FEATURE => "__amqp_feature",
    MQTT_FEATURE => "__mqtt_feature",
    // Components.
    COMPONENT => "__private::Component",
    RECORD_ACTION => "__private::record_action",
    KEEP_UNDO => "__private::keep_undo",
    RATE => "__private::Rate",
    // Lifecycle hooks that pair.
    HOOKS => "__private::Hooks",
    HOOK => "__private::Hook",
    NO_HOOK => "__private::NoHook",
    UNCHECKED => "__private::Unchecked",
    HOOK_RESULT => "__private::HookResult",
    OR => "__private::Or",
    PAIRED => "__private::paired",
    ARGUMENT => "__private::Argument",
    DIGEST => "__private::Digest",
    DIGEST_SERIALIZED => "__private::DigestSerialized",
    DIGEST_NOTHING => "__private::DigestNothing",
}

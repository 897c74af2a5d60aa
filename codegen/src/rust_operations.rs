//! Emits the operation table: one `graph_odata_runtime::__private::Operation` per operation,
//! in the order [`crate::operations::operations`] derives them.
//!
//! Tools that must follow the spec without hand edits (the `gsc api` command) read it; the
//! client exports it as `#[doc(hidden)] __operations::OPERATIONS`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::operations::{ApiOperation, ResponseShape};
use crate::rust_handles::query_option_tokens;

/// The body of the operation table module.
pub fn operation_table(operations: &[ApiOperation]) -> TokenStream {
    let rows = operations.iter().map(|op| {
        let id = op.id.as_str();
        let method = op.method;
        let path = op.path.as_str();
        let parameters: Vec<&str> = op.key_parameters().map(|k| k.name.as_str()).collect();
        let options = query_option_tokens(&op.query_options);
        let entity_type = op.entity_type.as_str();
        let request_body = match &op.request_body {
            Some(body) => quote!(Some(#body)),
            None => quote!(None),
        };
        let response = match op.response {
            ResponseShape::Entity(_) => quote!(Entity),
            ResponseShape::Collection(_) => quote!(Collection),
            ResponseShape::Count => quote!(Count),
            ResponseShape::Empty => quote!(Empty),
        };
        let status = op.success_status;
        let summary = op.summary.as_str();
        quote! {
            ::graph_odata_runtime::__private::Operation {
                id: #id,
                method: #method,
                path: #path,
                path_parameters: &[#(#parameters),*],
                query_options: &[#(#options),*],
                entity_type: #entity_type,
                request_body: #request_body,
                response: ::graph_odata_runtime::__private::ResponseKind::#response,
                success_status: #status,
                summary: #summary,
            }
        }
    });
    quote! {
        /// Every operation the spec and overlay expose, in generation order.
        pub static OPERATIONS: &[::graph_odata_runtime::__private::Operation] = &[#(#rows),*];

        /// The operation with this id.
        pub fn operation(id: &str) -> Option<&'static ::graph_odata_runtime::__private::Operation> {
            OPERATIONS.iter().find(|op| op.id == id)
        }
    }
}

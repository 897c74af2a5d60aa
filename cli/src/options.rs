//! OData query options as command-line options, exactly those an operation allows (read from
//! the operation table the library generates from the spec and overlay).

use clap::{Arg, ArgAction, ArgMatches};
use graph_security_copilot::__operations::{Operation, ResponseKind};
use graph_security_copilot::query::{FieldList, Query, QueryOption};

/// The command-line option of a query option (`--top`) and its help.
fn spec(option: QueryOption) -> (&'static str, &'static str, &'static str) {
    match option {
        QueryOption::Top => ("top", "N", "$top: at most N items in total"),
        QueryOption::Skip => ("skip", "N", "$skip: skip N items"),
        QueryOption::Search => ("search", "TEXT", "$search: free-text search"),
        QueryOption::Filter => (
            "filter",
            "EXPR",
            "$filter: an OData filter, e.g. \"displayName eq 'x'\"",
        ),
        QueryOption::Count => ("count", "", "$count=true: also print the total count"),
        QueryOption::OrderBy => (
            "orderby",
            "FIELDS",
            "$orderby: comma-separated, e.g. \"createdDateTime desc\"",
        ),
        QueryOption::Select => (
            "select",
            "FIELDS",
            "$select: only these properties, comma-separated",
        ),
        QueryOption::Expand => ("expand", "FIELDS", "$expand: comma-separated"),
    }
}

/// The options for `operation`: its query options, and `--all` for a listing.
pub fn args(operation: &Operation) -> Vec<Arg> {
    let mut args: Vec<Arg> = operation
        .query_options
        .iter()
        .map(|option| {
            let (name, value, help) = spec(*option);
            let arg = Arg::new(name).long(name).help(help);
            match option {
                QueryOption::Count => arg.action(ArgAction::SetTrue),
                QueryOption::Top | QueryOption::Skip => {
                    arg.value_name(value).value_parser(clap::value_parser!(u64))
                }
                _ => arg.value_name(value),
            }
        })
        .collect();
    if operation.response == ResponseKind::Collection {
        args.push(
            Arg::new("all")
                .long("all")
                .action(ArgAction::SetTrue)
                .help("Follow @odata.nextLink through every page (default: the first page)"),
        );
    }
    args
}

/// The query options set on the command line, for `operation`.
pub fn query(matches: &ArgMatches, operation: &Operation) -> Query {
    let text = |name: &str| matches.try_get_one::<String>(name).ok().flatten().cloned();
    let number = |name: &str| matches.try_get_one::<u64>(name).ok().flatten().copied();
    let flag = |name: &str| matches.try_get_one::<bool>(name).ok().flatten().copied();
    let fields = |name: &str| {
        text(name).map(|v| FieldList::new(v.split(',').map(str::trim).filter(|f| !f.is_empty())))
    };
    let mut query = Query::default();
    for option in operation.query_options {
        let (name, _, _) = spec(*option);
        match option {
            QueryOption::Top => query.top = number(name),
            QueryOption::Skip => query.skip = number(name),
            QueryOption::Search => query.search = text(name),
            QueryOption::Filter => query.filter = text(name),
            QueryOption::Count => query.count = flag(name).filter(|set| *set),
            QueryOption::OrderBy => query.orderby = fields(name),
            QueryOption::Select => query.select = fields(name),
            QueryOption::Expand => query.expand = fields(name),
        }
    }
    query
}

/// Whether `--all` was given (false for operations without it).
pub fn all(matches: &ArgMatches) -> bool {
    matches
        .try_get_one::<bool>("all")
        .ok()
        .flatten()
        .copied()
        .unwrap_or(false)
}

/// The `$select` fields, as table columns.
pub fn selected(query: &Query) -> Option<Vec<String>> {
    query.select.as_ref().map(|f| f.items().to_vec())
}

//! The document's schemas compiled once per document into a graph of owned nodes (each schema's
//! keywords read once, every `$ref` followed once), and the built-in OrchestratorInfo's messages
//! planned against them: each field's property found once, by name, for the whole process. The
//! renderer and the validator walk these, so an answer costs no name comparison and no copy of
//! what the document fixes (enumerations, property lists).

use std::collections::HashMap;
use std::sync::LazyLock;

use openapiv3::{AdditionalProperties, OpenAPI, Schema};
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::Value;

use super::schema::{property_for_field, resolve, Keywords, SchemaRef, MAX_REF_HOPS};
use crate::protocol::Protocol;

/// The descriptors the static message types were generated from.
static BUILT_IN: LazyLock<Protocol> = LazyLock::new(Protocol::built_in);

/// The message `net.OrchestratorInfo` as the binary was built with it: what every answer is
/// planned against.
pub(super) fn built_in_info() -> MessageDescriptor {
    BUILT_IN
        .message("net.OrchestratorInfo")
        .expect("build.rs generated the OrchestratorInfo type from these descriptors")
}

/// A compiled schema's index in [`Compiled::nodes`].
pub(super) type NodeId = usize;
/// A message plan's index in [`Compiled::plans`].
pub(super) type PlanId = usize;

/// Where a subschema leads: a compiled schema, or a `$ref` chain that resolves to none.
#[derive(Debug, Clone)]
pub(super) enum Target {
    Node(NodeId),
    /// The `$ref` text of a chain that ends in a cycle.
    Broken(String),
}

impl Target {
    pub(super) fn node(&self) -> Option<NodeId> {
        match self {
            Target::Node(id) => Some(*id),
            Target::Broken(_) => None,
        }
    }
}

/// `additionalProperties`: not given, a yes/no, or a schema.
#[derive(Debug, Clone)]
pub(super) enum Additional {
    Unset,
    Any(bool),
    Schema(Target),
}

/// One schema's keywords (those [`Keywords`] reads), its subschemas compiled.
#[derive(Debug, Clone)]
pub(super) struct Node {
    pub typ: Option<String>,
    pub format: Option<String>,
    pub nullable: bool,
    /// Allowed values; empty when any value of the type is allowed.
    pub enumeration: Vec<Value>,
    pub properties: Vec<(String, Target)>,
    pub required: Vec<String>,
    pub additional: Additional,
    pub items: Option<Target>,
    pub all_of: Vec<Target>,
    pub any_of: Vec<Target>,
    pub one_of: Vec<Target>,
    pub not: Option<Target>,
}

impl Node {
    fn empty() -> Node {
        Node {
            typ: None,
            format: None,
            nullable: false,
            enumeration: Vec::new(),
            properties: Vec::new(),
            required: Vec::new(),
            additional: Additional::Unset,
            items: None,
            all_of: Vec::new(),
            any_of: Vec::new(),
            one_of: Vec::new(),
            not: None,
        }
    }

    /// Whether a value of type `typ` under this schema is judged only by its parts, each on its
    /// own: nothing about the value as a whole (an `enum`, a `format`, alternatives) but its type.
    pub(super) fn judged_by_parts(&self, typ: &str) -> bool {
        self.typ.as_deref().is_none_or(|declared| declared == typ)
            && self.format.is_none()
            && self.enumeration.is_empty()
            && self.all_of.is_empty()
            && self.any_of.is_empty()
            && self.one_of.is_empty()
            && self.not.is_none()
    }

    /// The schema of additional property values, when it is a schema rather than a yes/no.
    pub(super) fn additional_schema(&self) -> Option<&Target> {
        match &self.additional {
            Additional::Schema(target) => Some(target),
            _ => None,
        }
    }

    /// Whether this schema judges an object (a map) only by each entry's value against
    /// `additionalProperties`: no declared property or `required` name concerns a key.
    pub(super) fn judges_entries_alone(&self) -> bool {
        self.judged_by_parts("object")
            && self.properties.is_empty()
            && self.required.is_empty()
            && self.additional_schema().is_some()
    }
}

/// How a value at one place of the answer is rendered: its schema, and for a message, list or
/// map what its parts are rendered by.
#[derive(Debug, Clone, Default)]
pub(super) struct Shape {
    pub node: Option<NodeId>,
    /// For a message value: its fields under `node`.
    pub message: Option<PlanId>,
    /// For a list: its items; for a map: its values.
    pub element: Option<Box<Shape>>,
}

/// A message's fields in descriptor order, each with the property that stands for it.
#[derive(Debug, Clone, Default)]
pub(super) struct MessagePlan {
    pub fields: Vec<FieldPlan>,
}

#[derive(Debug, Clone)]
pub(super) struct FieldPlan {
    pub field: FieldDescriptor,
    pub kind: Kind,
    pub supports_presence: bool,
    /// The property's name, or the field's when no property stands for it.
    pub name: String,
    /// The property's schema, when one stands for the field.
    pub property: Option<Target>,
    pub shape: Shape,
}

/// The compiled schemas of one document, with the plans of the built-in OrchestratorInfo.
#[derive(Debug, Clone)]
pub(super) struct Compiled {
    nodes: Vec<Node>,
    plans: Vec<MessagePlan>,
    /// The discovery answer's schema.
    pub info: Target,
    /// How the built-in OrchestratorInfo renders under it.
    pub info_shape: Shape,
}

impl Compiled {
    pub(super) fn new(api: &OpenAPI, info_schema: SchemaRef<'_>) -> Compiled {
        let mut compiler = Compiler {
            api,
            nodes: Vec::new(),
            seen: HashMap::new(),
        };
        let info = compiler.target(info_schema);
        let mut planner = Planner {
            nodes: &compiler.nodes,
            plans: Vec::new(),
            seen: HashMap::new(),
        };
        let info_shape = planner.shape(info.node(), &Kind::Message(built_in_info()), false);
        let plans = planner.plans;
        Compiled {
            nodes: compiler.nodes,
            plans,
            info,
            info_shape,
        }
    }

    pub(super) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    pub(super) fn plan(&self, id: PlanId) -> &MessagePlan {
        &self.plans[id]
    }
}

struct Compiler<'a> {
    api: &'a OpenAPI,
    nodes: Vec<Node>,
    /// Schemas compiled so far, by address: a schema reached twice (a `$ref`'d component, a
    /// recursive one) is one node.
    seen: HashMap<*const Schema, NodeId>,
}

impl<'a> Compiler<'a> {
    fn target(&mut self, schema: SchemaRef<'a>) -> Target {
        match resolve(self.api, schema) {
            Some(resolved) => Target::Node(self.node(resolved)),
            None => Target::Broken(schema.reference().unwrap_or_default().to_string()),
        }
    }

    fn node(&mut self, schema: &'a Schema) -> NodeId {
        let address = std::ptr::from_ref(schema);
        if let Some(id) = self.seen.get(&address) {
            return *id;
        }
        let id = self.nodes.len();
        self.nodes.push(Node::empty());
        self.seen.insert(address, id);
        let keywords = Keywords::of(schema);
        let mut targets = |schemas: &[SchemaRef<'a>]| schemas.iter().map(|schema| self.target(*schema)).collect();
        let all_of = targets(&keywords.all_of);
        let any_of = targets(&keywords.any_of);
        let one_of = targets(&keywords.one_of);
        let node = Node {
            typ: keywords.typ.map(String::from),
            format: keywords.format.map(String::from),
            nullable: keywords.nullable,
            properties: keywords
                .properties
                .iter()
                .map(|(name, property)| (name.to_string(), self.target(*property)))
                .collect(),
            required: keywords.required.to_vec(),
            additional: match keywords.additional_properties {
                None => Additional::Unset,
                Some(AdditionalProperties::Any(any)) => Additional::Any(*any),
                Some(AdditionalProperties::Schema(schema)) => Additional::Schema(self.target(SchemaRef::Plain(schema))),
            },
            items: keywords.items.map(|items| self.target(items)),
            all_of,
            any_of,
            one_of,
            not: keywords.not.map(|not| self.target(not)),
            enumeration: keywords.enumeration,
        };
        self.nodes[id] = node;
        id
    }
}

struct Planner<'n> {
    nodes: &'n [Node],
    plans: Vec<MessagePlan>,
    /// Plans made so far, by schema and message: a recursive message is planned once.
    seen: HashMap<(Option<NodeId>, String), PlanId>,
}

impl Planner<'_> {
    /// The shape of a value of `kind` (a whole list or map when `repeated`) under `node`.
    fn shape(&mut self, node: Option<NodeId>, kind: &Kind, repeated: bool) -> Shape {
        let node_of = |target: Option<&Target>| target.and_then(Target::node);
        match kind {
            // A map field's kind is its entry message; its values have the entry's value kind.
            Kind::Message(entry) if repeated && entry.is_map_entry() => {
                let values = node.and_then(|node| node_of(self.nodes[node].additional_schema()));
                let value_kind = entry.map_entry_value_field().kind();
                Shape {
                    node,
                    message: None,
                    element: Some(Box::new(self.shape(values, &value_kind, false))),
                }
            }
            _ if repeated => {
                let items = node.and_then(|node| node_of(self.nodes[node].items.as_ref()));
                Shape {
                    node,
                    message: None,
                    element: Some(Box::new(self.shape(items, kind, false))),
                }
            }
            Kind::Message(message) => Shape {
                node,
                message: Some(self.plan(node, message)),
                element: None,
            },
            _ => Shape {
                node,
                message: None,
                element: None,
            },
        }
    }

    fn plan(&mut self, node: Option<NodeId>, message: &MessageDescriptor) -> PlanId {
        let key = (node, message.full_name().to_string());
        if let Some(id) = self.seen.get(&key) {
            return *id;
        }
        let id = self.plans.len();
        self.plans.push(MessagePlan::default());
        self.seen.insert(key, id);
        let nodes = self.nodes;
        let mut properties = Vec::new();
        if let Some(node) = node {
            collect_properties(nodes, node, 0, &mut properties);
        }
        let fields = message.fields().map(|field| self.field(&properties, field)).collect();
        self.plans[id] = MessagePlan { fields };
        id
    }

    fn field(&mut self, properties: &[(&str, &Target)], field: FieldDescriptor) -> FieldPlan {
        let (name, property) = match property_for_field(properties, &field) {
            Some((name, property)) => (name.to_string(), Some((*property).clone())),
            None => (field.name().to_string(), None),
        };
        let kind = field.kind();
        let shape = self.shape(
            property.as_ref().and_then(Target::node),
            &kind,
            field.is_list() || field.is_map(),
        );
        FieldPlan {
            supports_presence: field.supports_presence(),
            kind,
            name,
            property,
            shape,
            field,
        }
    }
}

/// The properties of an object schema, those of its `allOf` parts included.
fn collect_properties<'n>(nodes: &'n [Node], node: NodeId, depth: usize, found: &mut Vec<(&'n str, &'n Target)>) {
    let schema = &nodes[node];
    found.extend(
        schema
            .properties
            .iter()
            .map(|(name, property)| (name.as_str(), property)),
    );
    if depth < MAX_REF_HOPS {
        for part in schema.all_of.iter().filter_map(Target::node) {
            collect_properties(nodes, part, depth + 1, found);
        }
    }
}

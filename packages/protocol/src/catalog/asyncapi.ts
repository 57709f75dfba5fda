import { AGENTS_NAMESPACE, OPERATORS_NAMESPACE, PROTOCOL_VERSION } from '../socket.ts';
import { jsonSchemas, schemaIn, type JsonSchema } from './payloads.ts';
import {
  agentClientMessages,
  agentServerMessages,
  operatorClientMessages,
  operatorServerMessages,
  type SocketMessage,
} from './socket-events.ts';

const SCHEMAS = '#/components/schemas/';

interface Namespace {
  key: string;
  address: string;
  description: string;
  handshake: string;
  /** Client → hub: the hub receives (and acks). */
  received: Record<string, SocketMessage>;
  /** Hub → client. */
  sent: Record<string, SocketMessage>;
}

const NAMESPACES: Namespace[] = [
  {
    key: 'agents',
    address: AGENTS_NAMESPACE,
    description:
      'One connection per agent. Send `agent:register` first; every event sent takes an ack `{ ok: true, data } | { ok: false, error }`.',
    handshake: 'AgentHandshake',
    received: agentClientMessages,
    sent: agentServerMessages,
  },
  {
    key: 'operators',
    address: OPERATORS_NAMESPACE,
    description: 'The dashboard feed: snapshots and changes of agents, sessions, groups and the hub, and a watched event stream.',
    handshake: 'OperatorHandshake',
    received: operatorClientMessages,
    sent: operatorServerMessages,
  },
];

/** Component keys allow letters, digits, `.`, `-` and `_`: `agent:register` becomes `agent.register`. */
const key = (event: string) => event.replaceAll(':', '.');

function ackEnvelope(data: JsonSchema): JsonSchema {
  return {
    oneOf: [
      { type: 'object', properties: { ok: { const: true }, data }, required: ['ok', 'data'] },
      { type: 'object', properties: { ok: { const: false }, error: { $ref: `${SCHEMAS}ErrorBody` } }, required: ['ok', 'error'] },
    ],
  };
}

/**
 * The `/agents` and `/operators` Socket.IO namespaces as an AsyncAPI 3.0 document, from the hub's
 * point of view: it receives what clients emit and answers through the Socket.IO ack (a reply).
 */
export function asyncApiDocument(): JsonSchema {
  const channels: JsonSchema = {};
  const operations: JsonSchema = {};
  const messages: JsonSchema = {};
  for (const ns of NAMESPACES) {
    const channelMessages: JsonSchema = {};
    const add = (action: 'receive' | 'send', event: string, m: SocketMessage) => {
      const id = `${ns.key}.${key(event)}`;
      messages[id] = { name: event, summary: m.summary, payload: schemaIn(m.payload, SCHEMAS) };
      channelMessages[key(event)] = { $ref: `#/components/messages/${id}` };
      const operation: JsonSchema = {
        action,
        channel: { $ref: `#/channels/${ns.key}` },
        summary: m.summary,
        messages: [{ $ref: `#/channels/${ns.key}/messages/${key(event)}` }],
      };
      const answer = m.ack ? ackEnvelope(schemaIn(m.ack, SCHEMAS)) : m.reply ? schemaIn(m.reply, SCHEMAS) : null;
      if (answer) {
        const replyId = `${id}.ack`;
        messages[replyId] = { name: `${event} ack`, summary: `the ack of ${event}`, payload: answer };
        channelMessages[`${key(event)}.ack`] = { $ref: `#/components/messages/${replyId}` };
        operation.reply = {
          channel: { $ref: `#/channels/${ns.key}` },
          messages: [{ $ref: `#/channels/${ns.key}/messages/${key(event)}.ack` }],
        };
      }
      operations[id] = operation;
    };
    for (const [event, m] of Object.entries(ns.received)) add('receive', event, m);
    for (const [event, m] of Object.entries(ns.sent)) add('send', event, m);
    channels[ns.key] = {
      address: ns.address,
      title: `${ns.address} namespace`,
      description: `${ns.description} Handshake \`auth\`: ${ns.handshake}.`,
      messages: channelMessages,
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Agent Hub sockets',
      version: String(PROTOCOL_VERSION),
      description:
        'Socket.IO namespaces of Agent Hub (wire protocol version in `info.version`). Generated from packages/protocol; see docs/protocol.md.',
    },
    servers: {
      hub: { host: 'localhost:3000', protocol: 'ws', pathname: '/socket.io', description: 'Socket.IO (Engine.IO v4) on the hub HTTP port' },
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { schemas: componentSchemas(), messages },
  };
}

/** The whole catalogue as components, minus the keywords a standalone file carries. */
export function componentSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(jsonSchemas((name) => SCHEMAS + name))) {
    const { $schema: _, $id: __, ...rest } = schema;
    out[id] = rest;
  }
  return out;
}

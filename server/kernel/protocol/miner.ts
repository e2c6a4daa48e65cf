import { z } from 'zod';

/**
 * The miner protocol: enrolment over HTTP (`POST /api/miners/enroll`), then
 * one WebSocket (`/ws/miner`, `Authorization: Bearer <minerId>.<token>`)
 * carrying JSON text frames, each with a `type`. Both sides validate every
 * frame with these schemas; a frame that fails is dropped and logged.
 */

/** Version of the frames below; a miner with another major is refused. */
export const PROTOCOL_VERSION = 1;

/** Path of the miner WebSocket. */
export const MINER_SOCKET_PATH = '/ws/miner';

/** Most texts in one embed job. */
export const EMBED_BATCH_MAX = 512;

/** Largest frame either side accepts (embedding batches are the big ones). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Largest heartbeat the server accepts: 500 advertised models at their longest fit with room to spare. */
export const MAX_HEARTBEAT_BYTES = 256 * 1024;

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits, dot, dash, underscore or colon');

/** A worker's name as the operator chose it (`WORKER_ID`). */
export const workerIdSchema = id;

/** Enrolment request: the bundled miner proves `secret`, a remote one a registration token. */
export const enrollRequestSchema = z
  .object({
    workerId: workerIdSchema,
    secret: z.string().min(1).max(512).optional(),
    registrationToken: z.string().min(1).max(512).optional(),
    /** SHA-256 (hex) of the pairing key the remote miner prints; the admin pastes the key itself. */
    pairingKeyHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    version: z.string().max(64).optional(),
  })
  .strict()
  .refine((r) => (r.secret === undefined) !== (r.registrationToken === undefined), 'give exactly one of secret or registrationToken')
  .refine((r) => r.registrationToken === undefined || r.pairingKeyHash !== undefined, 'a registration token needs pairingKeyHash');
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

/** Enrolment answer: the miner's identity, kept in its state folder. */
export const enrollResponseSchema = z.object({
  minerId: id,
  minerToken: z.string().min(32),
  status: z.enum(['active', 'pending']),
});
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;

/** A chat message as the model sees it. */
export const chatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().max(4_000_000),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** Generation options passed to Ollama; `num_ctx` always comes from the catalog. */
export const generationOptionsSchema = z
  .object({
    num_ctx: z.number().int().min(256).max(1_048_576),
    num_predict: z.number().int().min(-2).max(1_048_576).optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    seed: z.number().int().optional(),
    stop: z.array(z.string().max(64)).max(8).optional(),
  })
  .strict();
export type GenerationOptions = z.infer<typeof generationOptionsSchema>;

const advertisedModel = z.object({
  name: z.string().min(1).max(200),
  /** What Ollama says the model can do; the catalog decides what is used. */
  kind: z.enum(['chat', 'embedding']).optional(),
  contextLength: z.number().int().positive().optional(),
  dimensions: z.number().int().positive().optional(),
});
export type AdvertisedModel = z.infer<typeof advertisedModel>;

/** Failure reasons a miner reports for a job. */
export const jobFailureCodes = ['ollama_unreachable', 'ollama_error', 'model_missing', 'cancelled', 'bad_job', 'internal'] as const;
export type JobFailureCode = (typeof jobFailureCodes)[number];

/** Frames the miner sends. */
export const minerFrameSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    protocol: z.number().int(),
    version: z.string().max(64),
    workerId: workerIdSchema,
    capacity: z.number().int().min(1).max(1024),
    healthy: z.boolean(),
    models: z.array(advertisedModel).max(500),
  }),
  z.object({
    type: z.literal('heartbeat'),
    healthy: z.boolean(),
    inflight: z.number().int().min(0),
    models: z.array(advertisedModel).max(500),
    problem: z.string().max(500).optional(),
  }),
  z.object({ type: z.literal('chunk'), jobId: id, delta: z.string().max(1_000_000) }),
  z.object({
    type: z.literal('done'),
    jobId: id,
    promptTokens: z.number().int().min(0),
    completionTokens: z.number().int().min(0),
    doneReason: z.string().max(32),
    /** Ollama cut the prompt to fit num_ctx (prompt_eval_count reached it). */
    truncated: z.boolean(),
    durationMs: z.number().min(0),
  }),
  z.object({
    type: z.literal('embeddings'),
    jobId: id,
    embeddings: z.array(z.array(z.number())).max(4096),
    promptTokens: z.number().int().min(0),
    truncated: z.boolean(),
  }),
  z.object({
    type: z.literal('failed'),
    jobId: id,
    code: z.enum(jobFailureCodes),
    message: z.string().max(2000),
  }),
]);
export type MinerFrame = z.infer<typeof minerFrameSchema>;

/** Frames the server sends. */
export const serverFrameSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    minerId: id,
    status: z.enum(['active', 'pending', 'disabled']),
    heartbeatIntervalS: z.number().int().positive(),
  }),
  z.object({ type: z.literal('status'), status: z.enum(['active', 'pending', 'disabled']) }),
  z.object({
    type: z.literal('chat'),
    jobId: id,
    model: z.string().min(1).max(200),
    messages: z.array(chatMessageSchema).min(1).max(10_000),
    options: generationOptionsSchema,
  }),
  z.object({
    type: z.literal('embed'),
    jobId: id,
    model: z.string().min(1).max(200),
    // 512 vectors of 1024 floats stay well under MAX_FRAME_BYTES as JSON; callers batch larger inputs.
    input: z.array(z.string().max(1_000_000)).min(1).max(EMBED_BATCH_MAX),
    numCtx: z.number().int().min(256).max(1_048_576).optional(),
  }),
  z.object({ type: z.literal('cancel'), jobId: id }),
]);
export type ServerFrame = z.infer<typeof serverFrameSchema>;

/** WebSocket close codes with a meaning both sides share. */
export const CLOSE = {
  /** Bad credentials or revoked: do not reconnect with the same identity. */
  revoked: 4001,
  /** Another connection of the same miner replaced this one. */
  replaced: 4002,
  /** The hello frame did not come or was invalid. */
  badHello: 4003,
  /** The miner sent heartbeats far beyond the rate limit; reconnect, slower. */
  flooding: 4004,
  /** The server is shutting down; reconnect later. */
  shutdown: 1001,
} as const;

/** Parses one text frame; undefined when it is not valid JSON or not a known frame. */
export function parseFrame<S extends z.ZodType>(schema: S, text: string): z.infer<S> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = schema.safeParse(raw);
  return r.success ? r.data : undefined;
}

/** A model name with Ollama's implicit tag made explicit (`nomic-embed-text` → `nomic-embed-text:latest`). */
export function canonicalModel(name: string): string {
  const slash = name.lastIndexOf('/');
  return name.slice(slash + 1).includes(':') ? name : `${name}:latest`;
}

/** Tells whether two model names mean the same Ollama model. */
export const sameModel = (a: string, b: string): boolean => canonicalModel(a) === canonicalModel(b);

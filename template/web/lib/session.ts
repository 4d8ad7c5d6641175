import { config } from "./config";
import { UNREACHABLE } from "./errors";

export type SessionToken = { client_secret: string; expires_at: number };

export type SessionErrorKind = "unavailable" | "rejected" | "invalid_response";

const MESSAGES: Record<SessionErrorKind, string> = {
  unavailable: UNREACHABLE,
  rejected: "The chat service did not let this browser start a chat. Reloading the page may help.",
  invalid_response: "The chat service sent an answer this page does not understand.",
};

export class SessionError extends Error {
  override readonly name = "SessionError";

  constructor(
    readonly kind: SessionErrorKind,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(MESSAGES[kind], options);
  }
}

/** `error` as a SessionError: anything else that stopped a session from starting counts as "unavailable". */
export function asSessionError(error: unknown): SessionError {
  return error instanceof SessionError ? error : new SessionError("unavailable", undefined, { cause: error });
}

export type SessionClientOptions = {
  url?: string;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  refreshMarginMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
};

type CachedToken = { secret: string; refreshAt: number };

export class SessionClient {
  private readonly url: string;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly refreshMarginMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private cached: CachedToken | null = null;
  private pending: Promise<string> | null = null;

  constructor(options: SessionClientOptions = {}) {
    this.url = options.url ?? config.sessionUrl;
    // Called through a closure so the browser's fetch keeps `window` as `this`.
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.refreshMarginMs = options.refreshMarginMs ?? 60_000;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 2_000;
  }

  getToken(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) {
      return Promise.resolve(this.cached.secret);
    }
    this.pending ??= this.createSession().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** Forgets `secret` unless a newer token already replaced it. */
  invalidate(secret?: string): void {
    if (secret === undefined || this.cached?.secret === secret) {
      this.cached = null;
    }
  }

  /** The `fetch` handed to ChatKit: adds the bearer token, refreshes it once on a 401. */
  authFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    // A Request's body can be read only once, so keep a copy for the retry.
    const spare = input instanceof Request ? input.clone() : input;
    const secret = await this.getToken();
    const response = await this.fetch(input, withBearer(input, init, secret));
    if (response.status !== 401 || !isReplayable(init?.body)) {
      return response;
    }
    await response.body?.cancel();
    this.invalidate(secret);
    return this.fetch(spare, withBearer(spare, init, await this.getToken()));
  };

  private async createSession(): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      let response: Response | null = null;
      let failure: unknown;
      try {
        response = await this.fetch(this.url, {
          method: "POST",
          credentials: "same-origin",
          headers: { accept: "application/json" },
        });
      } catch (error) {
        failure = error;
      }

      if (response?.ok) {
        return this.store(await readToken(response));
      }
      if (response && !isRetryable(response.status)) {
        throw new SessionError("rejected", response.status);
      }
      if (attempt >= this.maxAttempts) {
        throw new SessionError("unavailable", response?.status, { cause: failure });
      }
      await this.sleep(this.delay(attempt, response));
    }
  }

  private store(token: SessionToken): string {
    const now = this.now();
    const lifetime = token.expires_at * 1000 - now;
    // A lifetime shorter than the margin would make every call refresh; use half of it then.
    const reuseFor = Math.max(lifetime - this.refreshMarginMs, lifetime / 2);
    this.cached = { secret: token.client_secret, refreshAt: now + reuseFor };
    return token.client_secret;
  }

  private delay(attempt: number, response: Response | null): number {
    const retryAfter = Number(response?.headers.get("retry-after"));
    if (retryAfter > 0) {
      return Math.min(retryAfter * 1000, this.maxDelayMs);
    }
    const ceiling = Math.min(this.baseDelayMs * 2 ** (attempt - 1), this.maxDelayMs);
    return ceiling / 2 + (this.random() * ceiling) / 2;
  }
}

function isRetryable(status: number): boolean {
  return status === 429 || status >= 500;
}

function isReplayable(body: BodyInit | null | undefined): boolean {
  return !(typeof ReadableStream !== "undefined" && body instanceof ReadableStream);
}

function withBearer(input: RequestInfo | URL, init: RequestInit | undefined, secret: string): RequestInit {
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set("authorization", `Bearer ${secret}`);
  return { ...init, headers };
}

async function readToken(response: Response): Promise<SessionToken> {
  const body: unknown = await response.json().catch(() => null);
  if (
    typeof body === "object" &&
    body !== null &&
    "client_secret" in body &&
    "expires_at" in body &&
    typeof body.client_secret === "string" &&
    typeof body.expires_at === "number"
  ) {
    return { client_secret: body.client_secret, expires_at: body.expires_at };
  }
  throw new SessionError("invalid_response", response.status);
}

import type { TabMessage } from "./types";

/** Messages between the tabs of one browser. */
export interface Bus {
  post(message: TabMessage): void;
  onMessage(handler: (message: TabMessage) => void): void;
  close(): void;
}

/** Which tab polls the server. */
export interface Leadership {
  readonly isLeader: boolean;
  start(onChange: (leader: boolean) => void): void;
  /** Try to become the leader now (the leader announced it is leaving). */
  claim(): void;
  /** Give up leadership (the tab is going away). */
  release(): void;
}

/**
 * BroadcastChannel where the browser has it, else `storage` events on a key under the
 * configured prefix. Messages larger than `maxSize` bytes of JSON are dropped, not truncated.
 */
export class BrowserBus implements Bus {
  private channel: BroadcastChannel | null = null;
  private handlers: ((m: TabMessage) => void)[] = [];
  private closed = false;
  private readonly key: string;
  private readonly onStorage = (e: StorageEvent) => {
    if (e.key === this.key && e.newValue) this.deliver(e.newValue);
  };

  constructor(prefix: string, private readonly maxSize: number) {
    this.key = `${prefix}bus`;
    if (typeof BroadcastChannel === "function") {
      this.channel = new BroadcastChannel(this.key);
      this.channel.onmessage = (e) => typeof e.data === "string" && this.deliver(e.data);
    } else {
      addEventListener("storage", this.onStorage);
    }
  }

  post(message: TabMessage): void {
    // A request that was in flight when the page was left may still answer: nothing to tell.
    if (this.closed) return;
    const data = JSON.stringify(message);
    if (data.length > this.maxSize) {
      console.warn(`sessiond: a ${message.t} message of ${data.length} bytes exceeds the sync limit`);
      return;
    }
    if (this.channel) {
      this.channel.postMessage(data);
      return;
    }
    try {
      // A nonce makes every write a change, so repeated messages still fire `storage`.
      localStorage.setItem(this.key, JSON.stringify({ m: data, n: Math.random() }));
      localStorage.removeItem(this.key);
    } catch {
      // Storage full or disabled: this tab stays on its own.
    }
  }

  onMessage(handler: (m: TabMessage) => void): void {
    this.handlers.push(handler);
  }

  close(): void {
    this.closed = true;
    this.channel?.close();
    removeEventListener("storage", this.onStorage);
    this.handlers = [];
  }

  private deliver(raw: string): void {
    let message: TabMessage;
    try {
      const parsed = JSON.parse(raw);
      message = typeof parsed.m === "string" ? JSON.parse(parsed.m) : parsed;
    } catch {
      return;
    }
    for (const h of this.handlers) h(message);
  }
}

/**
 * A lease in localStorage, renewed every heartbeat and valid for two: the tab holding it polls.
 * A closing leader removes it and says so, so another tab takes over at once; a leader that
 * vanished without a word is replaced when its lease runs out. Rivals that claim together both
 * write, wait a moment, and read back: the last write wins, and only its author leads.
 */
export class LeaseLeadership implements Leadership {
  isLeader = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private onChange: (leader: boolean) => void = () => {};

  constructor(
    private readonly key: string,
    private readonly id: string,
    private readonly heartbeatMs: number,
    private readonly storage: Storage | null = safeLocalStorage(),
  ) {}

  start(onChange: (leader: boolean) => void): void {
    this.onChange = onChange;
    this.claim();
    this.timer = setInterval(() => this.beat(), this.heartbeatMs);
  }

  claim(): void {
    const lease = this.read();
    if (lease && lease.id !== this.id && lease.until > Date.now()) return;
    if (!this.write()) {
      this.set(true); // No storage: every tab leads itself.
      return;
    }
    setTimeout(() => this.set(this.read()?.id === this.id), 50);
  }

  release(): void {
    clearInterval(this.timer);
    if (this.isLeader && this.read()?.id === this.id) this.storage?.removeItem(this.key);
    this.isLeader = false;
  }

  private beat(): void {
    const lease = this.read();
    if (this.isLeader) {
      if (lease && lease.id !== this.id) this.set(false);
      else this.write();
    } else if (!lease || lease.until <= Date.now()) {
      this.claim();
    }
  }

  private set(leader: boolean): void {
    if (leader === this.isLeader) return;
    this.isLeader = leader;
    this.onChange(leader);
  }

  private read(): { id: string; until: number } | null {
    try {
      const raw = this.storage?.getItem(this.key);
      return raw ? JSON.parse(raw) : null;
    } catch {
      return null;
    }
  }

  private write(): boolean {
    if (!this.storage) return false;
    try {
      this.storage.setItem(this.key, JSON.stringify({ id: this.id, until: Date.now() + 2 * this.heartbeatMs }));
      return true;
    } catch {
      return false;
    }
  }
}

function safeLocalStorage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

// The live co-editing session (docs/collab.md): optimistic local batches on top of the last
// confirmed map, replayed after reconnects with the same client_id/client_seq.

import { applyOps, applyWithInverse, normalizeOp, uuid, type Journey, type JourneyOp } from './ops';
import type { Role } from './api';

export interface Peer {
  session: string;
  user_id: string;
  name: string;
  color: string;
  selection: string | null;
}

interface Batch {
  client_seq: number;
  ops: JourneyOp[];
  sent: boolean;
}

interface HistoryEntry {
  ops: JourneyOp[];
  inverse: JourneyOp[];
  /** The batch that made the change (dropped from history if the server refuses it). */
  seq: number;
}

export type Status = 'connecting' | 'online' | 'offline' | 'signed_out';

// One id per page load of a tab: client_seq restarts at 1 with it, so it must not be reused.
const clientId = uuid();

export class LiveSession {
  confirmed: Journey | null = null;
  version = 0;
  view: Journey | null = null;
  pending: Batch[] = [];
  peers: Peer[] = [];
  me: Peer | null = null;
  role: Role | null = null;
  status: Status = 'connecting';
  lastError: { code: string; message: string } | null = null;
  readonly clientId = clientId;

  private seq = 0;
  private ws: WebSocket | null = null;
  private helloSeen = false;
  private afterRejection = false;
  private retry = 0;
  private timer: any = null;
  private pingTimer: any = null;
  private closed = false;
  private selection: string | null = null;
  private listeners = new Set<() => void>();
  private undoStack: HistoryEntry[] = [];
  private redoStack: HistoryEntry[] = [];

  constructor(public journeyId: string) {
    this.connect();
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
  }

  subscribe(f: () => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private emit() {
    this.listeners.forEach((f) => f());
  }

  private onOnline = () => {
    if (this.status !== 'online') this.reconnectNow();
  };

  private onOffline = () => {
    if (this.ws) this.lost(this.ws);
  };

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    this.ws?.close();
  }

  private url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}/api/v1/journeys/${this.journeyId}/live`;
  }

  private connect() {
    if (this.closed) return;
    this.helloSeen = false;
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      // The browser knows it is offline: wait for its 'online' event (or the next retry).
      this.status = 'offline';
      this.emit();
      this.scheduleReconnect();
      return;
    }
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      let msg: any;
      try {
        msg = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      this.handle(msg);
    };
    ws.onclose = () => this.lost(ws);
    // A handshake that hangs (no hello) is given up and retried.
    const helloTimer = setTimeout(() => {
      if (this.ws === ws && !this.helloSeen) this.lost(ws);
    }, 8_000);
    ws.addEventListener?.('message', () => clearTimeout(helloTimer), { once: true });
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  /** The socket is gone (closed by either side, or dropped because the browser went offline). */
  private lost(ws: WebSocket) {
    if (this.ws !== ws) return;
    this.ws = null;
    this.helloSeen = false;
    clearInterval(this.pingTimer);
    this.status = 'offline';
    this.peers = [];
    for (const b of this.pending) b.sent = false;
    try {
      ws.close();
    } catch {
      /* already closed */
    }
    this.emit();
    this.scheduleReconnect();
  }

  private scheduleReconnect() {
    if (this.closed) return;
    clearTimeout(this.timer);
    if (this.retry === 3 && typeof fetch === 'function') {
      // Several failures in a row: maybe the session ended. Then stop and say so.
      fetch('/api/v1/me', { credentials: 'same-origin' })
        .then((r) => {
          if (r.status === 401 && !this.closed && this.status !== 'online') {
            clearTimeout(this.timer);
            this.status = 'signed_out';
            this.emit();
          }
        })
        .catch(() => {});
    }
    const delay = Math.min(5_000, 250 * 2 ** this.retry) * (0.8 + Math.random() * 0.4);
    this.retry = Math.min(this.retry + 1, 6);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /** Reconnects at once (used when the browser says it is back online). */
  reconnectNow() {
    if (this.closed || this.status === 'signed_out') return;
    clearTimeout(this.timer);
    this.retry = 0;
    if (this.ws && this.ws.readyState <= 1) return;
    this.connect();
  }

  /** Test hook and "go offline" helper: drops the socket; reconnect follows with backoff. */
  dropSocket() {
    if (this.ws) this.lost(this.ws);
  }

  private send(frame: unknown): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || !this.helloSeen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Sends a raw frame (used by tests to forge frames). */
  sendRaw(frame: unknown): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  private flush() {
    for (const b of this.pending) {
      if (b.sent) continue;
      if (!this.send({ type: 'ops', client_id: this.clientId, client_seq: b.client_seq, base: this.version, ops: b.ops })) return;
      b.sent = true;
    }
  }

  private recompute() {
    if (!this.confirmed) {
      this.view = null;
      return;
    }
    let v = this.confirmed;
    for (const b of this.pending) {
      try {
        v = applyOps(v, b.ops);
      } catch {
        // It no longer fits: the server will reject it; show the map without it.
      }
    }
    v.version = this.version;
    this.view = v;
  }

  private handle(msg: any) {
    switch (msg.type) {
      case 'hello': {
        this.helloSeen = true;
        this.afterRejection = false;
        this.retry = 0;
        this.status = 'online';
        this.me = msg.you;
        this.role = msg.role;
        this.peers = msg.peers || [];
        this.confirmed = msg.journey;
        this.version = msg.version;
        this.recompute();
        for (const b of this.pending) b.sent = false;
        this.flush();
        if (this.selection) this.send({ type: 'presence', selection: this.selection });
        clearInterval(this.pingTimer);
        this.pingTimer = setInterval(() => this.send({ type: 'ping' }), 25_000);
        break;
      }
      case 'applied': {
        const i = this.pending.findIndex((b) => b.client_seq === msg.client_seq);
        const batch = i >= 0 ? this.pending.splice(i, 1)[0] : null;
        if (msg.version <= this.version) {
          // Already part of the confirmed map (replayed after a reconnect).
        } else if (msg.version === this.version + 1 && batch && this.confirmed) {
          try {
            this.confirmed = applyOps(this.confirmed, batch.ops);
            this.version = msg.version;
          } catch {
            this.requestSync();
          }
        } else {
          this.requestSync();
        }
        this.recompute();
        break;
      }
      case 'ops': {
        if (msg.version <= this.version) {
          if (msg.client_id === this.clientId) {
            this.pending = this.pending.filter((b) => b.client_seq !== msg.client_seq);
            this.recompute();
          }
          break;
        }
        if (msg.version !== this.version + 1 || !this.confirmed) {
          this.requestSync();
          break;
        }
        if (msg.client_id === this.clientId) {
          const i = this.pending.findIndex((b) => b.client_seq === msg.client_seq);
          if (i >= 0) this.pending.splice(i, 1);
        }
        try {
          this.confirmed = applyOps(this.confirmed, msg.ops);
          this.version = msg.version;
        } catch {
          this.requestSync();
        }
        this.recompute();
        break;
      }
      case 'rejected': {
        const i = this.pending.findIndex((b) => b.client_seq === msg.client_seq);
        if (i >= 0) this.pending.splice(i, 1);
        this.lastError = { code: msg.code, message: msg.message };
        this.afterRejection = true;
        // A refused batch never happened: it cannot be undone or redone.
        this.undoStack = this.undoStack.filter((e) => e.seq !== msg.client_seq);
        this.redoStack = this.redoStack.filter((e) => e.seq !== msg.client_seq);
        this.recompute();
        break;
      }
      case 'snapshot': {
        this.confirmed = msg.journey;
        this.version = msg.version;
        // The snapshot may already hold some of our in-flight batches whose `applied` we will
        // never see (e.g. after the server resynced a lagging socket): replay them; the server
        // answers a replay of a committed batch with its original version (then dropped here).
        // (The snapshot that follows a `rejected` needs none: the batches sent after the refused
        // one are still on their way and will be answered.)
        if (!this.afterRejection) {
          for (const b of this.pending) b.sent = false;
          this.flush();
        }
        this.afterRejection = false;
        this.recompute();
        break;
      }
      case 'presence':
        this.peers = msg.peers || [];
        break;
      case 'error':
        this.lastError = { code: msg.code, message: msg.message };
        break;
      default:
        return;
    }
    this.emit();
  }

  private requestSync() {
    this.send({ type: 'sync', since: this.version });
  }

  get canEdit() {
    return this.role === 'editor' || this.role === 'owner';
  }

  /** Applies a local batch optimistically and queues it for the server. */
  commit(ops: JourneyOp[], opts: { undoable?: boolean; fromHistory?: boolean } = {}): boolean {
    if (!this.view || ops.length === 0) return false;
    const norm = ops.map(normalizeOp);
    let result;
    try {
      result = applyWithInverse(this.view, norm);
    } catch (e) {
      console.warn('local op refused', e);
      return false;
    }
    const seq = ++this.seq;
    if (opts.undoable !== false && !opts.fromHistory) {
      this.undoStack.push({ ops: norm, inverse: result.inverse, seq });
      if (this.undoStack.length > 200) this.undoStack.shift();
      this.redoStack = [];
    }
    this.pending.push({ client_seq: seq, ops: norm, sent: false });
    result.journey.version = this.version;
    this.view = result.journey;
    this.flush();
    this.emit();
    return true;
  }

  canUndo() {
    return this.undoStack.length > 0;
  }
  canRedo() {
    return this.redoStack.length > 0;
  }

  undo(): boolean {
    return this.history(this.undoStack, this.redoStack);
  }

  redo(): boolean {
    return this.history(this.redoStack, this.undoStack);
  }

  private history(from: HistoryEntry[], to: HistoryEntry[]): boolean {
    const entry = from.pop();
    if (!entry || !this.view) return false;
    let result;
    try {
      result = applyWithInverse(this.view, entry.inverse);
    } catch {
      this.lastError = { code: 'undo_conflict', message: '' };
      this.emit();
      return false;
    }
    to.push({ ops: entry.inverse, inverse: result.inverse, seq: this.seq + 1 });
    return this.commit(entry.inverse, { fromHistory: true });
  }

  select(selection: string | null) {
    if (selection === this.selection) return;
    this.selection = selection;
    this.send({ type: 'presence', selection });
  }
}

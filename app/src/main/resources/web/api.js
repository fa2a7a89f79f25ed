'use strict';
// Talking to the lab server, and saying so in words when that fails. Every request goes through
// api(), so a failure becomes one readable sentence in #notice instead of a broken page.

/** A failed request: the server's own sentence when it sent one, the HTTP status, the field at fault. */
class ApiError extends Error {
  constructor(message, status, field) {
    super(message);
    this.status = status;
    this.field = field || null;
  }
}

/** Sends a request and returns the parsed JSON answer (or null for an empty body); throws ApiError. */
async function api(path, { method = 'GET', body } = {}) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(`The lab server did not answer ${method} ${path}; is it still running? (${e.message})`, 0);
  }
  const text = await response.text();
  let data = null;
  let parsed = true;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      parsed = false;
    }
  }
  if (!response.ok) {
    const message = data && data.error
      ? data.error
      : `${method} ${path} failed with HTTP ${response.status} ${response.statusText}`.trim();
    throw new ApiError(message, response.status, data && data.field);
  }
  if (!parsed) throw new ApiError(`${method} ${path} answered something that is not JSON.`, response.status);
  return data;
}

/** Fetches a text resource (the PyTorch snippet). */
async function apiText(path) {
  let response;
  try {
    response = await fetch(path);
  } catch (e) {
    throw new ApiError(`The lab server did not answer GET ${path} (${e.message})`, 0);
  }
  const text = await response.text();
  if (!response.ok) {
    let message = `GET ${path} failed with HTTP ${response.status}`;
    try {
      message = JSON.parse(text).error || message;
    } catch { /* not JSON: keep the status line */ }
    throw new ApiError(message, response.status);
  }
  return text;
}

/**
 * Shows a message in the notice area. Errors stay until closed; information and warnings fade after
 * a while. The same text is not stacked twice: a repeated failure (a server that went away, polled
 * every few seconds) shows once with a count.
 */
function notice(message, kind = 'error') {
  const area = document.getElementById('notice');
  for (const existing of area.children) {
    if (existing.dataset.text === message) {
      const count = Number(existing.dataset.count || 1) + 1;
      existing.dataset.count = count;
      existing.querySelector('.count').textContent = ` (×${count})`;
      return existing;
    }
  }
  const box = document.createElement('div');
  box.className = `notice ${kind}`;
  box.dataset.text = message;
  const text = document.createElement('span');
  text.textContent = message;
  const count = document.createElement('span');
  count.className = 'count';
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'close';
  close.title = 'dismiss';
  close.textContent = '×';
  close.addEventListener('click', () => box.remove());
  box.append(text, count, close);
  area.append(box);
  if (kind !== 'error') setTimeout(() => box.remove(), 12000);
  return box;
}

/** Shows a caught error, prefixed with what the page was doing. */
function report(error, doing) {
  const message = error && error.message ? error.message : String(error);
  notice(doing ? `${doing}: ${message}` : message, 'error');
}

// ---- numbers in words ----

/** A number with a few significant digits, or a dash when there is none. */
function num(x, digits = 3) {
  if (typeof x === 'string') {
    // Values the server sends as text because JSON has no word for them ("Infinity", "NaN").
    const parsed = Number(x);
    if (x.trim() === '' || Number.isNaN(parsed)) return x;
    x = parsed;
  }
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  // 4.29e9 and 1e-5 rather than 4.295e+9 and 1.000e-5: no trailing zeros, no plus sign.
  if (a >= 1e7 || a < 1e-3) return Number(x.toPrecision(digits)).toExponential().replace('e+', 'e');
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(digits)));
}

/**
 * A run's baseline, what a model that learned nothing scores: a number, or words around one
 * ("accuracy 0.500", "loss 0.1667"). Returns {value, metric} (metric null when unsaid), or null.
 */
function baselineOf(b) {
  if (typeof b === 'number' && Number.isFinite(b)) return { value: b, metric: null };
  if (typeof b !== 'string') return null;
  const found = b.match(/-?\d*\.?\d+(?:e-?\d+)?/i);
  if (!found) return null;
  return { value: Number(found[0]), metric: /loss/i.test(b) ? 'loss' : /acc/i.test(b) ? 'accuracy' : null };
}

/** A baseline in words: a percentage for an accuracy, the number with its metric otherwise. */
function baselineText(b) {
  const base = baselineOf(b);
  if (!base) return '–';
  if (base.metric === 'loss') return `loss ${num(base.value, 4)}`;
  return percent(base.value);
}

function seconds(s) {
  if (s === null || s === undefined) return '–';
  if (s < 60) return `${num(s, 3)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}

function rate(tokensPerSecond) {
  if (tokensPerSecond === null || tokensPerSecond === undefined) return '–';
  if (tokensPerSecond >= 1e6) return `${num(tokensPerSecond / 1e6, 3)}M tokens/s`;
  if (tokensPerSecond >= 1e4) return `${num(tokensPerSecond / 1e3, 3)}k tokens/s`;
  return `${Math.round(tokensPerSecond)} tokens/s`;
}

function percent(x) {
  return x === null || x === undefined ? '–' : `${num(100 * x, 3)} %`;
}

/** Creates an element with a class and text: the page builds its DOM with this, never innerHTML. */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** Fills a list with one item per message and hides it when there are none. */
function showMessages(id, messages) {
  const list = document.getElementById(id);
  list.replaceChildren(...(messages || []).map((m) => el('li', null, m)));
  list.hidden = !messages || messages.length === 0;
}

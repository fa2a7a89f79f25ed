'use strict';
// The live view of one run: it follows GET /api/runs/{id}/events (server-sent events) and redraws
// its charts as events arrive. Redrawing is batched to a few frames a second, so a finished run
// that replays hundreds of events at once still opens quickly.

const EVENT_TYPES = ['status', 'resumed', 'start', 'step', 'validation', 'time_gradients', 'gates', 'attention', 'warning', 'divergence', 'finished'];
const ENDED = ['finished', 'cancelled', 'diverged', 'failed'];

/** What the open run has received so far. */
let live = null;

function emptyRun(id) {
  return {
    id,
    source: null,
    lastEventId: -1,
    ended: false,
    status: null,
    queuePosition: null,
    run: null,
    start: null,
    steps: [],
    validations: [],
    timeGradients: [], // {step, logNorms}
    logMin: Infinity,
    logMax: -Infinity,
    latestProfile: null,
    gates: null,
    attention: null,
    divergence: null,
    dirty: new Set(),
    drawTimer: null,
  };
}

function openRun(id) {
  closeRun();
  live = emptyRun(id);
  labState.runId = id;
  labState.events = {};
  labState.status = null;
  labState.finished = null;
  document.getElementById('run-card').hidden = false;
  document.getElementById('run-title').textContent = id;
  document.getElementById('run-link').href = `#run=${encodeURIComponent(id)}`;
  const base = `/api/runs/${encodeURIComponent(id)}`;
  document.getElementById('dl-csv').href = `${base}/metrics.csv`;
  document.getElementById('dl-json').href = `${base}/metrics.json`;
  document.getElementById('dl-weights').href = `${base}/model.safetensors`;
  for (const hide of ['divergence', 'result', 'snippet', 'warnings', 'attention-views']) document.getElementById(hide).hidden = true;
  document.getElementById('recurrent-views').hidden = false;
  document.getElementById('warnings').replaceChildren();
  document.getElementById('baseline-words').textContent = '';
  document.getElementById('score-note').textContent = '';
  document.getElementById('run-progress').textContent = '';
  for (const id of ['chart-loss', 'chart-score', 'chart-time-gradients', 'chart-profile', 'chart-gates', 'chart-attention']) {
    chart(id).clear();
  }
  placeholder('chart-loss', 'waiting for the first training step…');
  placeholder('chart-score', 'waiting for the first validation…');
  placeholder('chart-time-gradients', 'waiting for the first gradient measurement…');
  placeholder('chart-profile', '');
  placeholder('chart-gates', 'waiting for the first validation sequence…');
  setStatus('connecting');
  updateHash();
  loadRunInfo(id);
  connect();
}

function closeRun() {
  if (!live) return;
  if (live.source) live.source.close();
  clearTimeout(live.drawTimer);
  live = null;
}

async function loadRunInfo(id) {
  try {
    const run = await api(`/api/runs/${encodeURIComponent(id)}`);
    if (!live || live.id !== id) return;
    showRunInfo(run);
  } catch (e) {
    report(e, `Opening run ${id}`);
  }
}

function showRunInfo(run) {
  live.run = run;
  document.getElementById('run-title').textContent = run.title || run.id;
  const config = run.config || {};
  const recurrent = (architecture(config.model) || {}).recurrent !== false;
  document.getElementById('recurrent-views').hidden = !recurrent && live.timeGradients.length === 0 && !live.gates;
  if (!recurrent) document.getElementById('attention-views').hidden = false;
  if (live.status === null || live.status === 'connecting') setStatus(run.status);
  if (run.divergence && run.status === 'diverged') showDivergence(run.divergence);
  if (ENDED.includes(run.status)) showResult(run);
}

/** Opens the event stream; events already seen (by id) are skipped, so reconnecting is safe. */
function connect() {
  const run = live;
  if (run.source) run.source.close();
  const source = new EventSource(`/api/runs/${encodeURIComponent(run.id)}/events`);
  run.source = source;
  for (const type of EVENT_TYPES) source.addEventListener(type, (e) => receive(run, source, type, e));
  source.onopen = () => {
    if (run.status === 'connecting' || run.status === 'reconnecting') setStatus(run.run ? run.run.status : 'connected');
  };
  source.onerror = () => {
    if (live !== run || run.source !== source) return;
    // The server closes the stream after `finished`; the browser would otherwise replay it forever.
    if (run.ended || source.readyState === EventSource.CLOSED) {
      source.close();
      if (!run.ended) notice(`The event stream of run ${run.id} closed before the run finished.`, 'warning');
    } else {
      setStatus('reconnecting');
    }
  };
}

function receive(run, source, type, event) {
  if (live !== run || run.source !== source) return;
  if (event.lastEventId !== '') {
    const id = Number(event.lastEventId);
    if (Number.isFinite(id)) {
      if (id <= run.lastEventId) return;
      run.lastEventId = id;
    }
  }
  let data;
  try {
    data = JSON.parse(event.data);
  } catch {
    notice(`Run ${run.id} sent a ${type} event that is not JSON.`);
    return;
  }
  labState.events[type] = (labState.events[type] || 0) + 1;
  try {
    HANDLERS[type](run, data);
  } catch (e) {
    report(e, `Showing the ${type} event`);
  }
}

const HANDLERS = {
  status(run, data) {
    run.queuePosition = data.queue_position;
    setStatus(data.status);
  },
  resumed(run, data) {
    forgetAfter(run, data.from_step || 0);
    run.ended = false;
    labState.finished = null;
    document.getElementById('divergence').hidden = true;
    document.getElementById('result').hidden = true;
    const clipping = data.clip_threshold === null || data.clip_threshold === undefined ? 'with its own settings' : `with clipping at ${num(data.clip_threshold, 3)}`;
    notice(`Run ${run.id} resumed from step ${data.from_step} ${clipping}.`, 'info');
    redraw(run, 'loss', 'score', 'timeGradients');
  },
  start(run, data) {
    forgetAfter(run, data.step || 0);
    run.start = data;
    if (data.baseline_words) document.getElementById('baseline-words').textContent = `Baseline: ${data.baseline_words}`;
    if (run.status !== 'running') setStatus('running');
    document.getElementById('divergence').hidden = true;
    redraw(run, 'loss', 'score', 'timeGradients');
  },
  step(run, data) {
    run.steps.push(data);
    if (run.status === 'queued' || run.status === 'connecting' || run.status === 'connected') setStatus('running');
    redraw(run, 'loss', 'progress');
  },
  validation(run, data) {
    run.validations.push(data);
    redraw(run, 'loss', 'score');
  },
  time_gradients(run, data) {
    const logNorms = (data.norms || []).map((v) => (v > 0 && Number.isFinite(v) ? Math.log10(v) : null));
    for (const v of logNorms) {
      if (v === null) continue;
      run.logMin = Math.min(run.logMin, v);
      run.logMax = Math.max(run.logMax, v);
    }
    run.timeGradients.push({ step: data.step, logNorms, norms: data.norms });
    run.latestProfile = data;
    document.getElementById('recurrent-views').hidden = false;
    redraw(run, 'timeGradients', 'profile');
  },
  gates(run, data) {
    run.gates = data;
    document.getElementById('recurrent-views').hidden = false;
    redraw(run, 'gates');
  },
  attention(run, data) {
    run.attention = data;
    document.getElementById('attention-views').hidden = false;
    if (run.timeGradients.length === 0 && !run.gates) document.getElementById('recurrent-views').hidden = true;
    fillLayerChoice(data.maps.length);
    redraw(run, 'attention');
  },
  warning(run, data) {
    const list = document.getElementById('warnings');
    list.append(el('li', null, data.message));
    list.hidden = false;
    notice(`Run ${run.id}: ${data.message}`, 'warning');
  },
  divergence(run, data) {
    showDivergence(data);
  },
  finished(run, data) {
    run.ended = true;
    live.run = data;
    setStatus(data.status || 'finished');
    labState.finished = data;
    showResult(data);
    if (data.status === 'diverged' && data.divergence) showDivergence(data.divergence);
    redraw(run, 'loss', 'score', 'progress');
    refreshHistorySoon();
    // A log replayed after a restart ends with the event written then; the server says now
    // whether the run can go on.
    loadRunInfo(run.id);
  },
};

/** A resumed run starts again from its checkpoint: what came after it is replaced, not extended. */
function forgetAfter(run, step) {
  run.steps = run.steps.filter((s) => s.step <= step);
  run.validations = run.validations.filter((v) => v.step <= step);
  run.timeGradients = run.timeGradients.filter((r) => r.step <= step);
  const kept = run.timeGradients.flatMap((r) => r.logNorms).filter((v) => v !== null);
  run.logMin = Math.min(...kept);
  run.logMax = Math.max(...kept);
}

// ---- status, result, divergence ----

function setStatus(status) {
  if (!live) return;
  live.status = status;
  labState.status = status;
  const badge = document.getElementById('status');
  badge.textContent = status === 'queued' && live.queuePosition ? `queued (position ${live.queuePosition} in the queue)` : status;
  badge.className = `status status-${status}`;
  const active = !ENDED.includes(status) && status !== 'idle';
  const cancel = document.getElementById('cancel');
  cancel.hidden = !active;
  cancel.disabled = false;
  if (ENDED.includes(status)) live.ended = true;
}

function showResult(run) {
  const box = document.getElementById('result');
  box.replaceChildren();
  box.className = `result result-${run.status}`;
  const result = run.result;
  if (run.error) box.append(el('p', 'error-text', `The run failed: ${run.error}`));
  if (result) {
    const facts = el('dl', 'facts');
    const fact = (term, value) => facts.append(el('dt', null, term), el('dd', null, value));
    fact('stopped', result.stop_words || result.stop || run.status);
    fact('steps', String(result.steps ?? '–'));
    fact('validation loss', num(result.val_loss, 4));
    if (result.val_accuracy !== null && result.val_accuracy !== undefined) {
      fact('accuracy', `${percent(result.val_accuracy)} (baseline ${baselineText(result.baseline)})`);
    } else if (baselineOf(result.baseline)) {
      fact('baseline', baselineText(result.baseline));
    }
    fact('time', seconds(result.seconds));
    if (result.tokens_per_second) fact('speed', `${rate(result.tokens_per_second)} (training time, validation excluded)`);
    if (result.parameters) fact('parameters', result.parameters.toLocaleString('en-US'));
    box.append(facts);
    if (result.baseline_words) box.append(el('p', 'muted', result.baseline_words));
  } else if (run.status === 'diverged') {
    return; // the red divergence box says what happened
  } else if (!run.error) {
    box.append(el('p', null, `The run ended (${run.status}) without a final result.`));
  }
  if (run.resumable && run.status !== 'diverged') {
    // Stopped before its end with a checkpoint (cancelled, or cut off when the lab stopped): it goes
    // on from there with its own settings, as `seqlab train --resume` does.
    const again = el('button', 'primary', `Resume from step ${run.step}`);
    again.type = 'button';
    again.id = 'continue';
    again.title = 'continue this run from its checkpoint with its own settings';
    again.addEventListener('click', () => continueRun(again));
    box.append(again);
  }
  box.hidden = false;
  // The weights exist once a run has ended: show how to load them.
  if (run.status === 'finished') loadSnippet(false);
}

function showDivergence(d) {
  if (!live) return;
  live.divergence = d;
  // The parameter is named when its gradient broke first; when the loss itself broke, the
  // server's message says how (and the gradient norms just before).
  const what = [];
  if (d.parameter) what.push(`parameter ${d.parameter}`);
  if (d.gradient_norm !== null && d.gradient_norm !== undefined) what.push(`gradient norm ${num(d.gradient_norm, 3)}`);
  if (d.loss !== null && d.loss !== undefined) what.push(`loss ${num(d.loss, 3)}`);
  document.getElementById('divergence-text').textContent = `Diverged at step ${d.step}: ${what.join(', ')}.`;
  const detail = d.message ? d.message.replace(/^training diverged at step \d+:\s*/, '') : '';
  document.getElementById('divergence-detail').textContent = detail ? `${detail.charAt(0).toUpperCase()}${detail.slice(1)}.`.replace(/\.\.$/, '.') : '';
  const resumable = d.checkpoint_step !== null && d.checkpoint_step !== undefined;
  document.getElementById('resume-step').textContent = resumable ? d.checkpoint_step : '–';
  document.getElementById('resume').disabled = !resumable;
  document.getElementById('divergence').hidden = false;
}

async function resumeRun() {
  if (!live) return;
  const run = live;
  const threshold = Number(document.getElementById('resume-clip').value);
  if (!(threshold > 0)) {
    notice('The clipping threshold must be a positive number, e.g. 1.0.');
    return;
  }
  document.getElementById('resume').disabled = true;
  try {
    const answer = await api(`/api/runs/${encodeURIComponent(run.id)}/resume`, { method: 'POST', body: { clip_threshold: threshold } });
    if (live !== run) return;
    document.getElementById('divergence').hidden = true;
    document.getElementById('result').hidden = true;
    run.ended = false;
    setStatus(answer && answer.status ? answer.status : 'queued');
    connect();
    refreshHistorySoon();
  } catch (e) {
    document.getElementById('resume').disabled = false;
    report(e, 'Resuming the run');
  }
}

/** Continues a run stopped before its end, from its checkpoint, with its own settings. */
async function continueRun(button) {
  if (!live) return;
  const run = live;
  button.disabled = true;
  try {
    const answer = await api(`/api/runs/${encodeURIComponent(run.id)}/resume`, { method: 'POST', body: {} });
    if (live !== run) return;
    document.getElementById('result').hidden = true;
    run.ended = false;
    setStatus(answer && answer.status ? answer.status : 'queued');
    connect();
    refreshHistorySoon();
  } catch (e) {
    button.disabled = false;
    report(e, 'Resuming the run');
  }
}

async function cancelRun() {
  if (!live) return;
  const run = live;
  const button = document.getElementById('cancel');
  button.disabled = true;
  try {
    const answer = await api(`/api/runs/${encodeURIComponent(run.id)}/cancel`, { method: 'POST' });
    // The run stops once its current step ends; the `finished` event confirms it.
    if (live === run && answer && answer.status && !ENDED.includes(run.status)) setStatus(answer.status === 'running' ? 'cancelling' : answer.status);
    refreshHistorySoon();
  } catch (e) {
    button.disabled = false;
    report(e, 'Cancelling the run');
  }
}

// ---- the PyTorch snippet ----

async function loadSnippet(scroll) {
  if (!live) return;
  const run = live;
  try {
    const code = await apiText(`/api/runs/${encodeURIComponent(run.id)}/snippet.py`);
    if (live !== run) return;
    document.getElementById('snippet-code').textContent = code;
    document.getElementById('snippet').hidden = false;
    if (scroll) document.getElementById('snippet').scrollIntoView({ block: 'nearest' });
  } catch (e) {
    if (scroll) report(e, 'Fetching the PyTorch snippet');
  }
}

async function copySnippet() {
  const code = document.getElementById('snippet-code').textContent;
  const button = document.getElementById('snippet-copy');
  try {
    await navigator.clipboard.writeText(code);
  } catch {
    // Without clipboard permission, select the text so that Ctrl-C copies it.
    const range = document.createRange();
    range.selectNodeContents(document.getElementById('snippet-code'));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    document.execCommand('copy');
  }
  button.textContent = 'Copied';
  setTimeout(() => (button.textContent = 'Copy'), 1500);
}

// ---- drawing ----

function redraw(run, ...parts) {
  for (const part of parts) run.dirty.add(part);
  if (run.drawTimer) return;
  run.drawTimer = setTimeout(() => {
    run.drawTimer = null;
    if (live !== run) return;
    const dirty = [...run.dirty];
    run.dirty.clear();
    for (const part of dirty) {
      try {
        DRAW[part](run);
      } catch (e) {
        report(e, `Drawing ${part}`);
      }
    }
  }, 120);
}

const DRAW = {
  progress(run) {
    const last = run.steps[run.steps.length - 1];
    if (!last) return;
    const max = run.run && run.run.max_steps ? ` of ${run.run.max_steps}` : '';
    // tokens/s: training tokens per second of training time (validation excluded), over the run
    // so far; the result's speed is the same at the end.
    const progress = document.getElementById('run-progress');
    progress.textContent = `step ${last.step}${max} · ${seconds(last.seconds)} · ${rate(last.tokens_per_s)} · gradient norm ${num(last.grad_norm, 3)} · lr ${num(last.lr, 3)}`;
    progress.title = 'tokens/s: training tokens per second of training time, validation excluded, over the run so far';
  },

  loss(run) {
    const option = lineBase({ xName: 'training step', yName: 'loss', yLog: true });
    const train = run.steps.map((s) => [s.step, positive(s.loss)]);
    const validation = run.validations.map((v) => [v.step, positive(v.loss)]);
    option.series = [
      line('train loss', train, { colour: '#9aa5b1', width: 1.5 }),
      line('validation loss', validation, { colour: '#1f77b4', width: 2.5 }),
    ];
    option.series[1].showSymbol = validation.length < 40;
    // The adding problem has no accuracy: its baseline is a loss, drawn here.
    const base = run.start && baselineOf(run.start.baseline);
    if (base && positive(base.value) && (base.metric === 'loss' || (base.metric === null && !hasAccuracy(run)))) {
      option.series[1].markLine = baselineMark(base.value);
    }
    chart('chart-loss').setOption(option, true);
  },

  score(run) {
    const base = run.start && baselineOf(run.start.baseline);
    if (base && base.metric === 'loss' && !hasAccuracy(run)) {
      document.getElementById('score-note').textContent = 'this task is scored by its loss';
      placeholder('chart-score', 'no accuracy for this task: its score is the loss, on the left, against the dashed baseline');
      return;
    }
    if (!hasAccuracy(run)) {
      document.getElementById('score-note').textContent = run.validations.length ? 'this task has no accuracy; its baseline is on the loss chart' : '';
      if (run.validations.length) placeholder('chart-score', 'no accuracy for this task');
      return;
    }
    const option = lineBase({ xName: 'training step', yName: 'validation accuracy' });
    option.yAxis = { type: 'value', name: 'validation accuracy', min: 0, max: 1 };
    const accuracy = line('validation accuracy', run.validations.map((v) => [v.step, v.accuracy]), { colour: '#2ca02c', width: 2.5 });
    accuracy.showSymbol = run.validations.length < 40;
    if (base && base.metric !== 'loss') accuracy.markLine = baselineMark(base.value);
    option.series = [accuracy];
    chart('chart-score').setOption(option, true);
  },

  timeGradients(run) {
    const rows = run.timeGradients;
    const T = Math.max(0, ...rows.map((r) => r.logNorms.length));
    const data = [];
    const floor = Number.isFinite(run.logMin) ? run.logMin : 0;
    rows.forEach((r, y) => r.logNorms.forEach((v, t) => data.push([t, y, v === null ? floor : v])));
    const ceiling = Number.isFinite(run.logMax) ? run.logMax : 0;
    chart('chart-time-gradients').setOption({
      animation: false,
      title: { text: 'log₁₀ ‖∂L/∂h_t‖ during training', left: 'center', textStyle: { fontSize: 13 } },
      tooltip: {
        formatter: (p) => {
          const r = rows[p.value[1]];
          const raw = r && r.norms[p.value[0]];
          return `training step ${r ? r.step : '?'}, t = ${p.value[0] + 1}<br>‖∂L/∂h_t‖ = ${num(raw, 3)}${raw === 0 ? ' (underflow)' : ''}`;
        },
      },
      grid: { left: 64, right: 24, top: 36, bottom: 88 },
      xAxis: { type: 'category', name: 'step t', nameLocation: 'middle', nameGap: 26, data: Array.from({ length: T }, (_, i) => i + 1), axisLabel: { interval: labelInterval(T, 20) } },
      yAxis: { type: 'category', name: 'training step', data: rows.map((r) => r.step), axisLabel: { interval: labelInterval(rows.length, 12) } },
      visualMap: {
        type: 'continuous',
        min: Math.floor(floor),
        max: Math.ceil(ceiling === floor ? floor + 1 : ceiling),
        calculable: false,
        orient: 'horizontal',
        left: 'center',
        bottom: 4,
        itemHeight: 240,
        text: [`1e${Math.ceil(ceiling === floor ? floor + 1 : ceiling)}`, `‖∂L/∂h_t‖ 1e${Math.floor(floor)}`],
        inRange: { color: SEQUENTIAL },
      },
      series: [{ type: 'heatmap', data, progressive: 0 }],
    }, true);
  },

  profile(run) {
    const p = run.latestProfile;
    if (!p) return;
    const colour = MODEL_COLOURS[(run.run && run.run.config && run.run.config.model) || 'rnn'];
    const option = lineBase({ xName: 'step t', yName: '‖∂L/∂h_t‖', yLog: true, xMin: 1, xMax: (p.norms || []).length });
    option.title = { text: `the latest profile, training step ${p.step}`, left: 'center', top: 0, textStyle: { fontSize: 13 } };
    option.legend = { bottom: 0, type: 'scroll' };
    option.grid.top = 44;
    option.grid.bottom = 72;
    option.series = [line('‖∂L/∂h_t‖ measured', p.norms.map((v, i) => [i + 1, positive(v)]), { colour, width: 2.5 })];
    if (p.cell_norms) {
      option.series.push(line('‖∂L/∂c_t‖ cell', p.cell_norms.map((v, i) => [i + 1, positive(v)]), { colour, dashed: true, width: 2 }));
    }
    if (p.predicted) {
      option.series.push(line(`predicted ρ^(T−t), ρ = ${num(p.radius, 3)}`, p.predicted.map((v, i) => [i + 1, positive(v)]), { colour: '#555', dotted: true, width: 2 }));
    }
    // The axis holds what was measured; the prediction is cut at its edges (ρ^T can reach 1e30).
    Object.assign(option.yAxis, decadeBounds([...(p.norms || []), ...(p.cell_norms || [])]));
    chart('chart-profile').setOption(option, true);
  },

  gates(run) {
    const g = run.gates;
    const shown = g.units_shown && g.units && g.units_shown < g.units ? `, the first ${g.units_shown} of ${g.units} units` : '';
    document.getElementById('gates-step').textContent = `at training step ${g.step}${shown}`;
    // Labels name the gate ("forget gate f"); older logs gave the bare word ("forget").
    const panels = (g.labels || []).map((label, i) => ({ title: /gate|candidate/.test(label) ? label : `${label} gate`, matrix: g.gates[i] }));
    if (g.cell) panels.push({ title: 'cell state c_t', matrix: g.cell });
    if (g.hidden) panels.push({ title: 'hidden state h_t', matrix: g.hidden });
    drawStateGrid('chart-gates', panels, g.tokens);
    labState.gateCells = panels.reduce((n, p) => n + p.matrix.length * (p.matrix[0] || []).length, 0);
  },

  attention(run) {
    const a = run.attention;
    document.getElementById('attention-step').textContent = `at training step ${a.step}`;
    document.getElementById('attention-reach').textContent = a.reach || '';
    const select = document.getElementById('attention-layer');
    const layer = Math.min(Number(select.value) || 0, a.maps.length - 1);
    drawAttention(a.maps[layer], a.tokens, layer);
  },
};

function hasAccuracy(run) {
  return run.validations.some((v) => v.accuracy !== null && v.accuracy !== undefined);
}

function baselineMark(baseline) {
  return {
    symbol: 'none',
    silent: true,
    lineStyle: { type: 'dashed', color: '#444', width: 1.5 },
    label: { formatter: `baseline ${num(baseline, 3)}`, position: 'insideEndTop' },
    data: [{ yAxis: baseline }],
  };
}

/** Heat maps over time (x = t, y = unit), one panel per gate and state, two per row. */
function drawStateGrid(id, panels, tokens) {
  const element = document.getElementById(id);
  const columns = panels.length > 1 ? 2 : 1;
  const panelHeight = 170;
  const rows = Math.ceil(panels.length / columns);
  element.style.height = `${rows * (panelHeight + 60) + 70}px`;
  const instance = chart(id);
  instance.resize();
  const boxes = panelBoxes(panels.length, columns, element.clientWidth || 900, panelHeight, { top: 64 });
  const option = { animation: false, title: [], grid: [], xAxis: [], yAxis: [], series: [], visualMap: [], tooltip: { position: 'top' } };
  const gateSeries = [];
  const signedSeries = [];
  let signedMax = 0;
  panels.forEach((panel, i) => {
    const T = panel.matrix.length;
    const H = T ? panel.matrix[0].length : 0;
    const data = [];
    let inUnit = true;
    for (let t = 0; t < T; t++) {
      for (let u = 0; u < H; u++) {
        const v = panel.matrix[t][u];
        data.push([t, u, v]);
        if (v < 0 || v > 1) inUnit = false;
      }
    }
    // Gates are sigmoids in [0, 1]; states and the tanh candidate are signed and get a diverging scale.
    if (inUnit && /gate/.test(panel.title) && !/^cell gate|candidate/.test(panel.title)) gateSeries.push(i);
    else {
      signedSeries.push(i);
      for (const d of data) signedMax = Math.max(signedMax, Math.abs(d[2]));
    }
    const box = boxes[i];
    option.title.push({ text: panel.title, left: box.left, top: box.top - 22, textStyle: { fontSize: 12 } });
    option.grid.push({ left: box.left, top: box.top, width: box.width, height: box.height });
    const labels = tokens && tokens.length === T ? tokens : Array.from({ length: T }, (_, t) => t + 1);
    // Every n-th label, n from the longest label's width, so that no two labels overlap.
    const labelWidth = 10 + 6.5 * Math.max(1, ...labels.map((l) => String(l).length));
    option.xAxis.push({ type: 'category', gridIndex: i, data: labels, name: i >= panels.length - columns ? (tokens ? 'token' : 'step t') : '', nameLocation: 'middle', nameGap: 24, axisLabel: { interval: labelInterval(T, box.width / labelWidth), hideOverlap: true, fontSize: 10 } });
    option.yAxis.push({ type: 'category', gridIndex: i, data: Array.from({ length: H }, (_, u) => u), axisLabel: { interval: labelInterval(H, 8), fontSize: 10 } });
    option.series.push({ type: 'heatmap', xAxisIndex: i, yAxisIndex: i, data, name: panel.title, progressive: 0 });
  });
  if (gateSeries.length) {
    option.visualMap.push({ type: 'continuous', seriesIndex: gateSeries, min: 0, max: 1, orient: 'horizontal', left: 16, top: 4, itemHeight: 160, itemWidth: 12, text: ['1 (open)', 'gates: 0 (closed)'], inRange: { color: SEQUENTIAL } });
  }
  if (signedSeries.length) {
    const m = signedMax > 0 ? Number(signedMax.toPrecision(2)) : 1;
    option.visualMap.push({ type: 'continuous', seriesIndex: signedSeries, min: -m, max: m, orient: 'horizontal', right: 16, top: 4, itemHeight: 160, itemWidth: 12, text: [`+${num(m, 2)}`, `states: −${num(m, 2)}`], inRange: { color: DIVERGING } });
  }
  instance.setOption(option, true);
}

function fillLayerChoice(layers) {
  const select = document.getElementById('attention-layer');
  if (select.options.length === layers) return;
  const keep = select.value;
  select.replaceChildren(...Array.from({ length: layers }, (_, l) => new Option(`${l + 1} of ${layers}`, l)));
  if (keep && Number(keep) < layers) select.value = keep;
  select.parentElement.hidden = layers < 2;
}

/** One heat map per head of a layer (query position × key position), up to four per row. */
function drawAttention(heads, tokens, layer) {
  const element = document.getElementById('chart-attention');
  const columns = Math.min(heads.length, 4);
  const T = heads.length && heads[0].length;
  const width = element.clientWidth || 900;
  const panelSize = Math.min(300, (width - 80 - 48 * (columns - 1)) / columns);
  const rows = Math.ceil(heads.length / columns);
  element.style.height = `${rows * (panelSize + 70) + 60}px`;
  const instance = chart('chart-attention');
  instance.resize();
  const boxes = panelBoxes(heads.length, columns, Math.min(width, columns * (panelSize + 48) + 80), panelSize, { top: 60, gapX: 48, gapY: 70 });
  const labels = tokens && tokens.length === T ? tokens : Array.from({ length: T }, (_, t) => t + 1);
  const option = {
    animation: false,
    title: [],
    grid: [],
    xAxis: [],
    yAxis: [],
    series: [],
    tooltip: { formatter: (p) => `query ${labels[p.value[1]]} → key ${labels[p.value[0]]}: ${num(p.value[2], 3)}` },
    visualMap: { type: 'continuous', min: 0, max: 1, orient: 'horizontal', left: 'center', top: 4, itemHeight: 200, itemWidth: 12, text: ['weight 1', '0'], inRange: { color: SEQUENTIAL }, seriesIndex: heads.map((_, i) => i) },
  };
  heads.forEach((map, h) => {
    const box = boxes[h];
    const data = [];
    for (let q = 0; q < map.length; q++) for (let k = 0; k < map[q].length; k++) data.push([k, q, map[q][k]]);
    option.title.push({ text: `layer ${layer + 1}, head ${h + 1}`, left: box.left, top: box.top - 22, textStyle: { fontSize: 12 } });
    option.grid.push({ left: box.left, top: box.top, width: box.width, height: box.height });
    const labelWidth = 10 + 6.5 * Math.max(1, ...labels.map((l) => String(l).length));
    option.xAxis.push({ type: 'category', gridIndex: h, data: labels, position: 'bottom', name: 'key', nameLocation: 'middle', nameGap: 24, axisLabel: { interval: labelInterval(T, box.width / labelWidth), hideOverlap: true, fontSize: 10 } });
    option.yAxis.push({ type: 'category', gridIndex: h, data: labels, inverse: true, axisLabel: { interval: labelInterval(T, box.height / 16), fontSize: 10 } });
    option.series.push({ type: 'heatmap', xAxisIndex: h, yAxisIndex: h, data, progressive: 0 });
  });
  instance.setOption(option, true);
  labState.attentionCells = option.series.reduce((n, s) => n + s.data.length, 0);
}

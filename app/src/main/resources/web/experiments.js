'use strict';
// Experiments: every experiment of the table the lab runs (the schema's `experiments`), started
// from a form, listed, and drawn as score against the task's knob, one line per model, with the
// mean and the spread of the seeds at each value.

const experiments = { list: [], open: null, source: null, rows: [] };

async function refreshExperiments() {
  try {
    experiments.list = (await api('/api/experiments')) || [];
    drawExperimentList();
  } catch (e) {
    report(e, 'Listing the experiments');
  }
}

function drawExperimentList() {
  const body = document.querySelector('#experiments tbody');
  body.replaceChildren();
  if (experiments.list.length === 0) {
    const row = el('tr', 'empty');
    const cell = el('td', null, 'No experiments yet.');
    cell.colSpan = 5;
    row.append(cell);
    body.append(row);
  }
  for (const x of experiments.list) {
    const row = el('tr');
    row.dataset.experiment = x.id;
    const status = el('td');
    status.append(el('span', `status status-${x.status}`, x.status));
    // rows: a count, or the rows themselves.
    const rows = Array.isArray(x.rows) ? x.rows.length : x.rows;
    row.append(el('td', 'title', x.id), el('td', null, x.experiment), status, el('td', 'number', rows), el('td', 'number', x.runs));
    row.addEventListener('click', () => openExperiment(x.id));
    body.append(row);
  }
}

function buildExperimentForm() {
  const menu = document.getElementById('exp-name');
  menu.replaceChildren();
  for (const x of lab.schema.experiments || []) {
    const option = el('option', null, x.name);
    option.value = x.name;
    option.title = x.title;
    menu.append(option);
  }
  menu.onchange = () => fitExperimentForm();
  buildModelTicks();
  fitExperimentForm();
}

/** The chosen experiment's title, claim, knob and default values and models in the form. */
function fitExperimentForm() {
  const name = document.getElementById('exp-name').value;
  const x = (lab.schema.experiments || []).find((e) => e.name === name);
  if (!x) return;
  document.getElementById('exp-title').textContent = x.title;
  document.getElementById('exp-claim').textContent = `Expected: ${x.claim}.`;
  document.getElementById('exp-knob').textContent = `Values of ${x.knob}`;
  document.getElementById('exp-distances').value = (x.distances || []).join(', ');
  for (const tick of document.querySelectorAll('#exp-models input')) tick.checked = (x.models || []).includes(tick.value);
}

function buildModelTicks() {
  const box = document.getElementById('exp-models');
  const model = lab.schema.controls.find((c) => c.name === 'model');
  const choices = model ? model.choices : [];
  box.replaceChildren(el('legend', null, 'Models'));
  for (const m of choices) {
    const label = el('label', 'inline');
    const tick = el('input');
    tick.type = 'checkbox';
    tick.value = m;
    tick.checked = true;
    label.append(tick, ` ${m}`);
    box.append(label);
  }
}

async function startExperiment() {
  const distances = document.getElementById('exp-distances').value.split(/[\s,;]+/).filter(Boolean).map(Number);
  if (distances.length === 0 || distances.some((d) => !Number.isInteger(d) || d < 1)) {
    notice('The values are whole numbers separated by commas, e.g. 5, 10, 20.');
    return;
  }
  const models = [...document.querySelectorAll('#exp-models input:checked')].map((i) => i.value);
  if (models.length === 0) {
    notice('Tick at least one model.');
    return;
  }
  const body = {
    experiment: document.getElementById('exp-name').value,
    distances,
    models,
    seeds: Number(document.getElementById('exp-seeds').value),
    steps: Number(document.getElementById('exp-steps').value),
  };
  try {
    const answer = await api('/api/experiments', { method: 'POST', body });
    await refreshExperiments();
    openExperiment(answer.id);
  } catch (e) {
    report(e, e.status === 429 ? 'The queue is full' : 'Starting the experiment');
  }
}

async function openExperiment(id) {
  if (experiments.source) experiments.source.close();
  experiments.source = null;
  try {
    const x = await api(`/api/experiments/${encodeURIComponent(id)}`);
    experiments.open = x;
    experiments.rows = x.rows || [];
    document.getElementById('experiment-card').hidden = false;
    document.getElementById('experiment-title').textContent = x.title ? `${x.title} (${x.id})` : `${x.experiment}: ${x.id}`;
    setExperimentStatus(x.status);
    showSummary(x.summary, x.expected, x.hypothesis);
    drawExperiment();
    if (x.status === 'running' || x.status === 'queued') followExperiment(id);
  } catch (e) {
    report(e, `Opening experiment ${id}`);
  }
}

function setExperimentStatus(status) {
  const badge = document.getElementById('experiment-status');
  badge.textContent = status;
  badge.className = `status status-${status}`;
}

// the hypothesis first ("expected: …"), as `seqlab run` prints it; what the counts say about it last
function showSummary(sentences, expected, hypothesis) {
  const list = document.getElementById('experiment-summary');
  const lines = [...(expected ? [`expected: ${expected}`] : []), ...(sentences || []), ...(hypothesis ? [hypothesis] : [])];
  list.replaceChildren(...lines.map((s) => el('li', null, s)));
}

function followExperiment(id) {
  const source = new EventSource(`/api/experiments/${encodeURIComponent(id)}/events`);
  experiments.source = source;
  const seen = new Set();
  let lastId = -1;
  const fresh = (e) => {
    if (e.lastEventId === '') return true;
    const n = Number(e.lastEventId);
    if (n <= lastId) return false;
    lastId = n;
    return true;
  };
  // Rows already loaded with the experiment come again in the replay; a row is one run, so its
  // JSON identifies it.
  for (const row of experiments.rows) seen.add(JSON.stringify(row));
  source.addEventListener('row', (e) => {
    if (experiments.source !== source || !fresh(e)) return;
    const row = JSON.parse(e.data);
    const key = JSON.stringify(row);
    if (seen.has(key)) return;
    seen.add(key);
    experiments.rows.push(row);
    drawExperiment();
  });
  source.addEventListener('finished', async (e) => {
    if (experiments.source !== source || !fresh(e)) return;
    source.close();
    experiments.source = null;
    await openExperiment(id);
    refreshExperiments();
  });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED && experiments.source === source) {
      notice(`The event stream of experiment ${id} closed.`, 'warning');
    }
  };
}

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Error bars: a vertical line from the low to the high value, with caps. */
function errorBars(name, data, colour) {
  return {
    name,
    type: 'custom',
    data,
    z: 5,
    encode: { x: 0, y: [1, 2] },
    tooltip: { show: false },
    renderItem(params, api) {
      const low = api.coord([api.value(0), api.value(1)]);
      const high = api.coord([api.value(0), api.value(2)]);
      const cap = 5;
      const style = { stroke: colour, lineWidth: 1.5 };
      return {
        type: 'group',
        children: [
          { type: 'line', shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style },
          { type: 'line', shape: { x1: low[0] - cap, y1: low[1], x2: low[0] + cap, y2: low[1] }, style },
          { type: 'line', shape: { x1: high[0] - cap, y1: high[1], x2: high[0] + cap, y2: high[1] }, style },
        ],
      };
    },
  };
}

function drawExperiment() {
  const x = experiments.open;
  const rows = experiments.rows.filter((r) => r.score !== null && r.score !== undefined);
  if (rows.length === 0) {
    placeholder('chart-experiment', x && x.status === 'running' ? 'waiting for the first finished run…' : 'no results');
    return;
  }
  const bySeries = new Map();
  const modelOf = new Map();
  for (const r of rows) {
    const key = String(r.series);
    if (r.model) modelOf.set(key, r.model);
    if (!bySeries.has(key)) bySeries.set(key, new Map());
    const byX = bySeries.get(key);
    if (!byX.has(r.x)) byX.set(r.x, []);
    byX.get(r.x).push(r.score);
  }
  const series = [];
  [...bySeries.keys()].forEach((name, i) => {
    // Series are named like "LSTM H 48"; the architecture's colour when one series per model.
    const model = modelOf.get(name) || name.toLowerCase();
    const sameModel = [...modelOf.values()].filter((m) => m === model).length;
    const colour = (sameModel <= 1 && MODEL_COLOURS[model]) || PALETTE[i % PALETTE.length];
    const points = [...bySeries.get(name).entries()].sort((a, b) => a[0] - b[0]);
    const means = points.map(([d, scores]) => [d, mean(scores), scores.length]);
    const s = line(name, means, { colour, width: 2.5 });
    s.showSymbol = true;
    s.symbolSize = 7;
    series.push(s);
    // The bar spans the seeds, lowest to highest score: with two or three seeds a standard
    // deviation says little and can reach past an accuracy of 1.
    const spread = points.filter(([, scores]) => scores.length > 1).map(([d, scores]) => [d, Math.min(...scores), Math.max(...scores)]);
    if (spread.length) series.push(errorBars(name, spread, colour));
  });
  const baselines = new Map();
  for (const r of experiments.rows) {
    if (r.baseline === null || r.baseline === undefined) continue;
    if (!baselines.has(r.x)) baselines.set(r.x, []);
    baselines.get(r.x).push(r.baseline);
  }
  if (baselines.size) {
    const points = [...baselines.entries()].sort((a, b) => a[0] - b[0]).map(([d, b]) => [d, mean(b)]);
    series.push(line('baseline', points, { colour: '#444', dashed: true, width: 1.5 }));
  }
  const knob = (x && x.knob) || 'distance';
  const metric = (x && x.metric) || 'score';
  const distances = [...new Set(rows.map((r) => r.x))];
  const wide = Math.max(...distances) / Math.max(1e-9, Math.min(...distances)) >= 8 && Math.min(...distances) > 0;
  const option = lineBase({ xName: knob, yName: metric });
  option.xAxis = { type: wide ? 'log' : 'value', name: knob, nameLocation: 'middle', nameGap: 28, min: wide ? undefined : 'dataMin', max: wide ? undefined : 'dataMax' };
  if (metric === 'accuracy') option.yAxis = { type: 'value', name: 'accuracy', min: 0, max: 1 };
  option.tooltip = {
    trigger: 'item',
    formatter: (p) => (p.seriesType === 'line' ? `${p.seriesName}, ${knob} ${p.value[0]}: ${metric} ${num(p.value[1], 3)}${p.value[2] > 1 ? ` (mean of ${p.value[2]} seeds)` : ''}` : ''),
  };
  option.series = series;
  chart('chart-experiment').setOption(option, true);
}

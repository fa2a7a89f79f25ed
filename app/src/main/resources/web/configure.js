'use strict';
// The configure column: controls built from GET /api/schema (the server owns every range), the
// preset stories, the server's check of each change, the configuration mirrored in the URL, and the
// instant gradient-flow probe that shows the vanishing gradient before any training.

const lab = {
  schema: null,
  config: {},
  problems: [],
  checked: false,
  inactive: null, // the server's reasons, for the configuration in inactiveFor
  inactiveFor: null,
  checkSequence: 0,
  flowSequence: 0,
  flowKey: null,
  preset: null,
};

/** Why a control does not matter for a model, said about the control itself where that helps. */
const WHY_NOT = {
  text: 'only the char-lm task reads a text',
  seq_len: 'only the char-lm task is cut into windows',
};

/**
 * The row of the table of architectures named `id`, as GET /api/schema sends it: its label and what
 * it has (a recurrent matrix, a forget gate, attention heads, a choice of activation).
 */
function architecture(id) {
  return ((lab.schema && lab.schema.architectures) || []).find((a) => a.id === id) || null;
}

/**
 * The row of the table of tasks named `id`, as GET /api/schema sends it: its label, whether it reads
 * a text, and its knob (name, label, the lab's range).
 */
function taskRow(id) {
  return ((lab.schema && lab.schema.tasks) || []).find((t) => t.id === id) || null;
}

/**
 * The control as it stands for `config`: the distance takes its task's knob, its label ("Pairs k")
 * and its range in the lab; every other control is as the schema sent it.
 */
function forTask(c, config) {
  if (c.name !== 'distance') return c;
  const t = taskRow(config && config.task);
  if (!t) return c;
  // A text has no difficulty knob: no range of its own to show, only why it is not used.
  if (t.text) return { ...c, help: t.knob_help, noRange: true };
  return { ...c, label: t.knob_label, min: t.lab_min, max: t.lab_max, help: t.knob_help };
}

function control(name) {
  return lab.schema.controls.find((c) => c.name === name);
}

/**
 * The reason a control is greyed out for this configuration, or null when it matters. The server's
 * check says so too (`inactive`), and its words win once it answers; this keeps the form right
 * between a change and that answer.
 */
function notApplicable(c, config) {
  if (lab.inactive && lab.inactiveFor === configQuery(config)) return lab.inactive[c.name] || null;
  const a = architecture(config.model) || {};
  const the = `the ${a.label || config.model}`;
  switch (c.applies || 'all') {
    case 'all':
      break;
    case 'recurrent-matrix':
      if (!a.recurrent_matrix) return `${the} has no recurrent matrix W_hh`;
      break;
    case 'activation':
      if (!a.activation) return 'only the vanilla RNN chooses its activation';
      break;
    case 'forget-gate':
      if (!a.forget_gate) return `${the} has no forget gate`;
      break;
    case 'attention':
      if (!a.attention) return `${the} has no attention heads`;
      break;
    case 'spectral':
      if (!a.recurrent_matrix) return `${the} has no recurrent matrix W_hh`;
      if (config.init !== 'spectral') return 'set the initialisation to spectral first';
      break;
    case 'clip':
      if (config.clip === false) return 'clipping is off';
      break;
    case 'synthetic':
      if ((taskRow(config.task) || {}).text) return `${config.task} has no difficulty knob`;
      break;
    case 'char-lm':
      if (!(taskRow(config.task) || {}).text) return WHY_NOT[c.name] || 'only a text task uses this';
      break;
    default:
      if (config.task !== c.applies) return WHY_NOT[c.name] || `only the ${c.applies} task uses this`;
  }
  return null;
}

// ---- building the controls ----

function defaults() {
  return Object.fromEntries(lab.schema.controls.map((c) => [c.name, c.default === undefined ? null : c.default]));
}

function rangeText(c) {
  if (c.type === 'int' || c.type === 'number') {
    if (c.min !== undefined && c.max !== undefined) return `${num(c.min, 4)} – ${num(c.max, 4)}${c.log ? ', log scale' : ''}`;
    return c.allowed || '';
  }
  if (c.type === 'choice') return `${c.choices.length} choice${c.choices.length === 1 ? '' : 's'}`;
  return '';
}

/** Slider position 0..1000 ↔ value, on a log scale where the control asks for one. */
function sliderToValue(c, position) {
  const p = position / 1000;
  let v = c.log && c.min > 0 ? c.min * Math.pow(c.max / c.min, p) : c.min + (c.max - c.min) * p;
  if (c.type === 'int') v = Math.round(v);
  else if (c.step) v = Math.round(v / c.step) * c.step;
  else v = Number(v.toPrecision(3));
  return Math.min(c.max, Math.max(c.min, v));
}

function valueToSlider(c, v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return 0;
  const p = c.log && c.min > 0 ? Math.log(v / c.min) / Math.log(c.max / c.min) : (v - c.min) / (c.max - c.min);
  return Math.round(1000 * Math.min(1, Math.max(0, p)));
}

function buildControls() {
  const form = document.getElementById('controls');
  form.replaceChildren();
  for (const c of lab.schema.controls) {
    const row = el('div', 'control');
    row.dataset.control = c.name;
    const label = el('label', 'control-label');
    label.htmlFor = `c-${c.name}`;
    label.append(el('span', 'name', c.label || c.name));
    const range = rangeText(c);
    if (range) label.append(el('span', 'range', range));
    row.append(label);

    const inputs = el('div', 'inputs');
    if (c.type === 'choice') {
      const select = el('select');
      select.id = `c-${c.name}`;
      for (const choice of c.choices) {
        // An architecture or a task shows its label from its table ("minGRU", "Multi-query
        // recall"); other choices their value.
        const row = c.name === 'model' ? architecture(choice) : c.name === 'task' ? taskRow(choice) : null;
        select.append(new Option(row ? row.label : choice, choice));
      }
      select.addEventListener('change', () => changed(c.name));
      inputs.append(select);
    } else if (c.type === 'bool') {
      const box = el('input');
      box.type = 'checkbox';
      box.id = `c-${c.name}`;
      box.addEventListener('change', () => changed(c.name));
      inputs.append(box);
    } else {
      const hasRange = c.min !== undefined && c.max !== undefined;
      if (hasRange) {
        const slider = el('input', 'slider');
        slider.type = 'range';
        slider.min = 0;
        slider.max = 1000;
        slider.id = `s-${c.name}`;
        slider.tabIndex = -1;
        slider.addEventListener('input', () => {
          document.getElementById(`c-${c.name}`).value = sliderToValue(forTask(c, lab.config), Number(slider.value));
        });
        slider.addEventListener('change', () => changed(c.name));
        inputs.append(slider);
      }
      const number = el('input', 'number');
      number.type = 'number';
      number.id = `c-${c.name}`;
      if (hasRange) {
        number.min = c.min;
        number.max = c.max;
      }
      number.step = c.type === 'int' ? 1 : c.step || 'any';
      number.addEventListener('change', () => changed(c.name));
      inputs.append(number);
      if (c.nullable) {
        const unset = el('label', 'unset');
        const box = el('input');
        box.type = 'checkbox';
        box.id = `n-${c.name}`;
        box.addEventListener('change', () => changed(c.name));
        unset.append(box, ' default');
        unset.title = 'leave unset: the library\'s default';
        inputs.append(unset);
      }
    }
    row.append(inputs);
    if (c.help) {
      row.title = c.help;
      row.append(el('div', 'help', c.help));
    }
    row.append(el('div', 'why'));
    row.append(el('div', 'field-error'));
    form.append(row);
  }
}

function buildPresets() {
  const box = document.getElementById('presets');
  box.replaceChildren();
  for (const preset of lab.schema.presets || []) {
    const button = el('button', 'preset', preset.title || preset.name);
    button.type = 'button';
    button.dataset.preset = preset.name;
    button.title = preset.story || '';
    button.addEventListener('click', () => pickPreset(preset.name));
    box.append(button);
  }
}

// ---- form ↔ configuration ----

function readForm() {
  const config = { ...lab.config };
  for (const c of lab.schema.controls) {
    const input = document.getElementById(`c-${c.name}`);
    if (c.type === 'choice') config[c.name] = input.value === '' && c.nullable ? null : input.value;
    else if (c.type === 'bool') config[c.name] = input.checked;
    else {
      const unset = document.getElementById(`n-${c.name}`);
      if (unset && unset.checked) config[c.name] = null;
      else if (input.value === '') config[c.name] = c.nullable ? null : c.default;
      else config[c.name] = Number(input.value);
    }
  }
  return config;
}

/** The distance's label, range and slider follow the task: its knob and its range in the lab. */
function fitKnob(config) {
  const c = forTask(control('distance'), config);
  const row = document.querySelector('#controls .control[data-control="distance"]');
  if (!c || !row) return;
  row.querySelector('.name').textContent = c.label || c.name;
  const range = row.querySelector('.range');
  if (range) range.textContent = c.noRange ? '' : rangeText(c);
  // The help is the server's words for this task's knob, from the same range as the slider's.
  row.querySelector('.help').textContent = c.help || '';
  row.title = c.help || '';
  const number = document.getElementById('c-distance');
  number.min = c.min;
  number.max = c.max;
}

function writeForm(config) {
  fitKnob(config);
  for (const c0 of lab.schema.controls) {
    const c = forTask(c0, config);
    const value = config[c.name];
    const input = document.getElementById(`c-${c.name}`);
    if (c.type === 'choice') {
      if (value !== null && value !== undefined && ![...input.options].some((o) => o.value === String(value))) {
        input.append(new Option(String(value), String(value)));
      }
      input.value = value === null || value === undefined ? c.choices[0] : String(value);
    } else if (c.type === 'bool') input.checked = Boolean(value);
    else {
      const unset = document.getElementById(`n-${c.name}`);
      if (unset) unset.checked = value === null || value === undefined;
      input.value = value === null || value === undefined ? '' : value;
      const slider = document.getElementById(`s-${c.name}`);
      if (slider) slider.value = valueToSlider(c, value === null ? c.default : value);
    }
  }
  greyOut(config);
}

function greyOut(config) {
  fitKnob(config);
  for (const c of lab.schema.controls) {
    const row = document.querySelector(`#controls .control[data-control="${c.name}"]`);
    const why = notApplicable(c, config);
    row.classList.toggle('na', why !== null);
    row.querySelector('.why').textContent = why ? `Not used: ${why}.` : '';
    for (const input of row.querySelectorAll('input, select')) input.disabled = why !== null;
    const unset = document.getElementById(`n-${c.name}`);
    if (unset && why === null) document.getElementById(`c-${c.name}`).disabled = unset.checked;
  }
}

function changed(name) {
  clearFieldErrors();
  document.getElementById('preset-changes').hidden = true; // it told what the preset did; now the user changes things
  lab.config = readForm();
  greyOut(lab.config);
  updateHash();
  scheduleCheck();
  if (name === 'model' || name === 'task') markPreset(null);
}

function pickPreset(name) {
  const preset = (lab.schema.presets || []).find((p) => p.name === name);
  if (!preset) return;
  const before = lab.config;
  lab.config = { ...defaults(), ...preset.config };
  writeForm(lab.config);
  markPreset(preset);
  showPresetChanges(before, lab.config);
  clearFieldErrors();
  updateHash();
  scheduleCheck(0);
}

/** Says, under the preset's story, which settings the preset changed and from what. */
function showPresetChanges(before, after) {
  const line = document.getElementById('preset-changes');
  const changed = lab.schema.controls
    .filter((c) => String(before[c.name] ?? '') !== String(after[c.name] ?? ''))
    .map((c) => `${forTask(c, after).label} ${before[c.name] ?? 'unset'} → ${after[c.name] ?? 'unset'}`);
  line.textContent = changed.length ? `The preset changed: ${changed.join(', ')}.` : 'The preset changed nothing: these were the settings already.';
  line.hidden = false;
}

function markPreset(preset) {
  lab.preset = preset ? preset.name : null;
  for (const button of document.querySelectorAll('#presets button')) {
    button.classList.toggle('active', preset !== null && button.dataset.preset === preset.name);
  }
  const story = document.getElementById('preset-story');
  if (!preset) {
    document.getElementById('preset-changes').hidden = true;
    return;
  }
  story.hidden = false;
  document.getElementById('preset-title').textContent = preset.title || preset.name;
  document.getElementById('preset-text').textContent = preset.story || '';
  document.getElementById('preset-watch').textContent = preset.watch || '';
}

// ---- the server's check ----

let checkTimer = null;

function scheduleCheck(delay = 150) {
  clearTimeout(checkTimer);
  // A check already on its way answers for the form as it was: its clamped configuration would
  // overwrite the change just made, so it is made stale now, not when the next check starts.
  lab.checkSequence++;
  updateStart(true);
  checkTimer = setTimeout(runCheck, delay);
}

async function runCheck() {
  const sequence = lab.checkSequence;
  try {
    const answer = await api('/api/check', { method: 'POST', body: readForm() });
    if (sequence !== lab.checkSequence) return; // a newer change is being checked
    applyCheck(answer);
  } catch (e) {
    if (sequence !== lab.checkSequence) return;
    report(e, 'Checking the configuration');
    updateStart(false);
  }
}

/** Shows what the server changed and what cannot work, and takes its clamped configuration. */
function applyCheck(answer) {
  lab.checked = true;
  if (answer.config) lab.config = { ...lab.config, ...answer.config };
  if (answer.inactive && typeof answer.inactive === 'object') {
    lab.inactive = answer.inactive;
    lab.inactiveFor = configQuery(lab.config);
  }
  writeForm(lab.config);
  showMessages('changes', answer.changes);
  showMessages('problems', answer.problems);
  lab.problems = answer.problems || [];
  updateStart(false);
  updateHash();
  // The probe needs a configuration that works; the problems say what to fix first.
  if (lab.problems.length === 0) scheduleGradientFlow();
}

function updateStart(pending) {
  const start = document.getElementById('start');
  start.disabled = pending || !lab.checked || lab.problems.length > 0;
  start.title = lab.problems.length > 0 ? 'Fix the problems listed below first' : '';
}

/** Puts the server's 400 sentence under the control it names. */
function showFieldError(field, message) {
  const row = field && document.querySelector(`#controls .control[data-control="${field}"]`);
  if (!row) return false;
  row.querySelector('.field-error').textContent = message;
  row.classList.add('invalid');
  row.scrollIntoView({ block: 'nearest' });
  return true;
}

function clearFieldErrors() {
  for (const row of document.querySelectorAll('#controls .control.invalid')) {
    row.classList.remove('invalid');
    row.querySelector('.field-error').textContent = '';
  }
}

// ---- the URL hash: #config=<url-encoded query string>&run=<id> ----

function configQuery(config) {
  const query = new URLSearchParams();
  for (const c of lab.schema.controls) {
    const value = config[c.name];
    query.set(c.name, value === null || value === undefined ? '' : String(value));
  }
  return query.toString();
}

function readHash() {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  return { config: hash.get('config'), run: hash.get('run') };
}

function updateHash() {
  if (!lab.schema) return;
  const parts = [`config=${encodeURIComponent(configQuery(lab.config))}`];
  if (window.labState && labState.runId) parts.push(`run=${encodeURIComponent(labState.runId)}`);
  const hash = `#${parts.join('&')}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
  document.getElementById('config-link').href = `#config=${encodeURIComponent(configQuery(lab.config))}`;
}

/** A configuration from a link: the server checks it and says what it had to change. */
async function openConfigLink(query) {
  try {
    const answer = await api(`/api/check?${query}`);
    lab.config = { ...defaults(), ...(answer.config || {}) };
    writeForm(lab.config);
    applyCheck(answer);
  } catch (e) {
    report(e, 'Opening the configuration from the link');
    lab.config = defaults();
    writeForm(lab.config);
    scheduleCheck(0);
  }
}

// ---- gradient flow: the vanishing gradient in seconds, without training ----

let flowTimer = null;

/**
 * The probe takes the whole configuration, like a run; the server measures over the task's own
 * sequence length, so the curve covers exactly the distance the run must bridge.
 */
function flowQuery(config) {
  return configQuery(config);
}

function scheduleGradientFlow(force = false) {
  if (!force && !document.getElementById('flow-auto').checked) return;
  clearTimeout(flowTimer);
  flowTimer = setTimeout(() => measureGradientFlow(force), 200);
}

async function measureGradientFlow(force) {
  const query = flowQuery(lab.config);
  if (!force && query === lab.flowKey) return;
  lab.flowKey = query;
  const sequence = ++lab.flowSequence;
  document.getElementById('chart-gradient-flow').classList.add('busy');
  try {
    const answer = await api(`/api/gradient-flow?${query}`);
    if (sequence !== lab.flowSequence) return;
    drawGradientFlow(answer, lab.config.model);
  } catch (e) {
    if (sequence !== lab.flowSequence) return;
    lab.flowKey = null;
    report(e, 'Measuring the gradient flow');
  } finally {
    if (sequence === lab.flowSequence) document.getElementById('chart-gradient-flow').classList.remove('busy');
  }
}

function drawGradientFlow(answer, chosen) {
  const series = [];
  const all = answer.series || [];
  // The chosen architecture is drawn last, on top, and thick; the others stay as context.
  const ordered = [...all.filter((s) => s.model !== chosen), ...all.filter((s) => s.model === chosen)];
  for (const s of ordered) {
    const mine = s.model === chosen;
    const style = { colour: MODEL_COLOURS[s.model], width: mine ? 3.5 : 1.5, opacity: mine ? 1 : 0.55, z: mine ? 10 : 2 };
    const label = s.label || s.model;
    // The Transformer has no hidden state carried through time: its gradient is taken at the inputs x_t.
    const vector = (architecture(s.model) || {}).recurrent === false ? 'x' : 'h';
    series.push(line(`${label} ‖∂L/∂${vector}_t‖`, (s.hidden || []).map((v, i) => [i + 1, positive(v)]), style));
    if (s.cell) {
      series.push(line(`${label} ‖∂L/∂c_t‖`, s.cell.map((v, i) => [i + 1, positive(v)]), { ...style, dashed: true }));
    }
  }
  const steps = answer.steps || Math.max(0, ...all.map((s) => (s.hidden || []).length));
  const option = lineBase({ xName: 'step t of the sequence (the loss is at the last step)', yName: '‖∂L/∂h_t‖', yLog: true, xMin: 1, xMax: steps });
  option.series = series;
  chart('chart-gradient-flow').setOption(option, true);
  labState.gradientFlow = { model: chosen, series: series.length, points: series.reduce((n, s) => n + s.data.length, 0) };

  const verdict = document.getElementById('verdict');
  verdict.replaceChildren();
  const mine = all.find((s) => s.model === chosen);
  if (mine) {
    const head = el('p', 'verdict-head');
    head.append(el('span', `badge verdict-${String(mine.verdict).toLowerCase()}`, mine.verdict));
    head.append(` ${mine.label || mine.model}: ×${num(mine.factor_per_step, 3)} per step back, ${num(mine.trend, 3)} over the sequence`);
    if (mine.radius !== null && mine.radius !== undefined) head.append(`, spectral radius ρ(W_hh) = ${num(mine.radius, 3)}`);
    verdict.append(head);
    // The rule is the last sentence; it is shown once, after the comparison, for every verdict.
    for (const sentence of mine.sentences || []) {
      if (sentence !== answer.rule) verdict.append(el('p', null, sentence));
    }
  }
  const others = all.filter((s) => s.model !== chosen);
  if (others.length) {
    verdict.append(el('p', 'muted', `Same size, for comparison: ${others.map((s) => `${s.label || s.model} ${s.verdict} (×${num(s.factor_per_step, 3)} per step, ${num(s.trend, 3)} over the sequence)`).join('; ')}.`));
  }
  if (answer.rule) verdict.append(el('p', 'rule', answer.rule));
}

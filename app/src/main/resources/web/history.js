'use strict';
// History: every run in the lab's runs folder, refreshed while something runs, and the comparison
// of two or more runs (the settings that differ, and their curves overlaid).

const runHistory = { runs: [], selected: new Set(), timer: null, loading: false };

function refreshHistorySoon() {
  clearTimeout(runHistory.soon);
  runHistory.soon = setTimeout(refreshHistory, 400);
}

async function refreshHistory() {
  if (runHistory.loading) return;
  runHistory.loading = true;
  try {
    runHistory.runs = (await api('/api/runs')) || [];
    drawHistory();
    showSkipped((await api('/api/skipped')) || []);
  } catch (e) {
    report(e, 'Listing the runs');
  } finally {
    runHistory.loading = false;
    // Poll only while a run is queued or running: an idle lab sends no requests.
    clearTimeout(runHistory.timer);
    if (runHistory.runs.some((r) => r.status === 'queued' || r.status === 'running')) {
      runHistory.timer = setTimeout(refreshHistory, 3000);
    }
  }
}

/**
 * Says once which folders of the runs folder the history leaves out and why (a notice for each new
 * set of them, not at every refresh).
 */
function showSkipped(skipped) {
  const key = skipped.map((s) => s.folder).join('\n');
  if (key === (runHistory.skippedKey || '')) return;
  runHistory.skippedKey = key;
  const box = document.getElementById('history-skipped');
  box.replaceChildren(...skipped.map((s) => el('li', null, `${s.folder}: ${s.reason}`)));
  box.hidden = skipped.length === 0;
  if (skipped.length) {
    const n = skipped.length;
    notice(`The history leaves out ${n} folder${n === 1 ? '' : 's'} of the runs folder it cannot read: ${skipped.map((s) => `${s.folder} (${s.reason})`).join('; ')}.`, 'warning');
  }
}

/** A task's knob as the history shows it: "Distance d 10", or a text's window, "window 64". */
function knobWords(config) {
  const t = taskRow(config.task);
  if (t && t.text) return `window ${config.seq_len ?? ''}`;
  if (config.distance === null || config.distance === undefined) return '';
  return `${t ? t.knob_label : 'distance'} ${config.distance}`;
}

/** A run's start, to tell runs of the same title apart. */
function startedWords(run) {
  return run.created ? new Date(run.created).toLocaleString() : '';
}

function resultWords(run) {
  if (run.error) return `failed: ${run.error}`;
  if (run.divergence && run.status === 'diverged') return `diverged at step ${run.divergence.step}`;
  const r = run.result;
  if (!r) return '';
  const parts = [`val loss ${num(r.val_loss, 3)}`];
  if (r.val_accuracy !== null && r.val_accuracy !== undefined) parts.push(`accuracy ${percent(r.val_accuracy)} vs baseline ${baselineText(r.baseline)}`);
  if (r.seconds !== undefined && r.seconds !== null) parts.push(seconds(r.seconds));
  return parts.join(' · ');
}

function drawHistory() {
  const body = document.querySelector('#history tbody');
  const known = new Set(runHistory.runs.map((r) => r.id));
  for (const id of [...runHistory.selected]) if (!known.has(id)) runHistory.selected.delete(id);
  body.replaceChildren();
  if (runHistory.runs.length === 0) {
    const row = el('tr', 'empty');
    const cell = el('td', null, 'No runs yet: pick a preset in the Lab tab and press Start run.');
    cell.colSpan = 9;
    row.append(cell);
    body.append(row);
  }
  for (const run of runHistory.runs) {
    const config = run.config || {};
    const row = el('tr');
    row.dataset.run = run.id;
    if (window.labState && labState.runId === run.id) row.classList.add('open');
    const tick = el('input');
    tick.type = 'checkbox';
    tick.checked = runHistory.selected.has(run.id);
    tick.title = 'select for comparison';
    tick.addEventListener('click', (e) => e.stopPropagation());
    tick.addEventListener('change', () => {
      if (tick.checked) runHistory.selected.add(run.id);
      else runHistory.selected.delete(run.id);
      updateCompareButton();
    });
    const tickCell = el('td');
    tickCell.append(tick);
    const status = el('td');
    status.append(el('span', `status status-${run.status}`, run.status));
    const steps = run.max_steps ? `${run.step ?? 0} / ${run.max_steps}` : String(run.step ?? '');
    // Runs of the same settings share a title: the run's id (its start and architecture) tells
    // them apart.
    const title = el('td', 'title', run.title || run.id);
    title.append(el('div', 'run-id', run.id));
    row.append(
      tickCell,
      title,
      status,
      el('td', null, config.model || ''),
      el('td', null, config.task || ''),
      el('td', null, knobWords(config)),
      el('td', 'number', steps),
      el('td', 'result-cell', resultWords(run)),
      el('td', 'muted', startedWords(run)),
    );
    row.title = `${run.id}${run.source === 'cli' ? ' (written by the command line)' : ''}`;
    row.addEventListener('click', () => {
      showTab('lab');
      openRun(run.id);
    });
    body.append(row);
  }
  updateCompareButton();
}

function updateCompareButton() {
  const button = document.getElementById('compare');
  button.disabled = runHistory.selected.size < 2;
  button.textContent = runHistory.selected.size >= 2 ? `Compare ${runHistory.selected.size} runs` : 'Compare selected';
}

async function compareSelected() {
  // Oldest first reads naturally: the first run is the reference.
  const ids = runHistory.runs.filter((r) => runHistory.selected.has(r.id)).map((r) => r.id).reverse();
  if (ids.length < 2) return;
  try {
    const comparison = await api(`/api/compare?ids=${ids.map(encodeURIComponent).join(',')}`);
    const runs = comparison.runs || [];
    drawDifferences(runs, comparison.differences || []);
    document.getElementById('compare-card').hidden = false;
    resizeCharts();
    const metrics = await Promise.all(runs.map((r) => api(`/api/runs/${encodeURIComponent(r.id)}/metrics.json`).catch((e) => {
      report(e, `Metrics of ${r.id}`);
      return { rows: [] };
    })));
    drawComparisonCurves(runs, metrics);
    document.getElementById('compare-card').scrollIntoView({ block: 'start', behavior: 'smooth' });
  } catch (e) {
    report(e, 'Comparing runs');
  }
}

function drawDifferences(runs, differences) {
  const table = document.getElementById('compare-table');
  table.replaceChildren();
  const head = el('tr');
  head.append(el('th', null, 'setting'));
  runs.forEach((r, i) => {
    const th = el('th', null, compareName(r, i));
    th.style.borderTop = `4px solid ${PALETTE[i % PALETTE.length]}`;
    head.append(th);
  });
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  if (differences.length === 0) {
    const row = el('tr');
    const cell = el('td', null, 'The runs have the same settings.');
    cell.colSpan = runs.length + 1;
    row.append(cell);
    body.append(row);
  }
  for (const d of differences) {
    const row = el('tr');
    row.append(el('th', null, d.field));
    for (const v of d.values) row.append(el('td', null, v === null || v === undefined ? '–' : String(v)));
    body.append(row);
  }
  const result = el('tr', 'result-row');
  result.append(el('th', null, 'result'));
  for (const r of runs) result.append(el('td', null, resultWords(r) || r.status));
  body.append(result);
  table.append(thead, body);
}

/** A run's name in a comparison: its number, title and start, the same in the table and legend. */
function compareName(run, i) {
  return `${i + 1}. ${run.title || run.id} (${startedWords(run) || run.id})`;
}

/**
 * The legend of a comparison: one full line per run, above the chart (nothing cut off or scrolled
 * away), with the chart's grid below it.
 */
function fullLegend(option, names, chartId) {
  const width = Math.max(160, (document.getElementById(chartId).clientWidth || 400) - 48);
  // A name longer than the chart is wide breaks into lines; the grid starts below them all.
  const lines = names.reduce((n, name) => n + Math.ceil((name.length * 6.2) / width), 0);
  option.legend = { top: 0, left: 0, orient: 'vertical', type: 'plain', itemGap: 4, textStyle: { fontSize: 11, width, overflow: 'break', lineHeight: 14 } };
  option.grid = { ...option.grid, top: 36 + 16 * lines };
  document.getElementById(chartId).style.height = `${320 + 16 * lines}px`;
}

function drawComparisonCurves(runs, metrics) {
  const loss = lineBase({ xName: 'training step', yName: 'loss', yLog: true });
  const score = lineBase({ xName: 'training step', yName: 'validation accuracy' });
  score.yAxis = { type: 'value', name: 'validation accuracy', min: 0, max: 1 };
  const names = runs.map((r, i) => compareName(r, i));
  fullLegend(loss, names, 'chart-compare-loss');
  fullLegend(score, names, 'chart-compare-score');
  loss.series = [];
  score.series = [];
  runs.forEach((run, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const rows = (metrics[i] && metrics[i].rows) || [];
    const name = compareName(run, i);
    const validated = rows.filter((r) => r.val_loss !== null && r.val_loss !== undefined);
    // Validation loss where the run validated; the training loss, thinner, otherwise.
    if (validated.length) loss.series.push(line(name, validated.map((r) => [r.step, positive(r.val_loss)]), { colour, width: 2.5 }));
    else loss.series.push(line(`${name} (train)`, rows.map((r) => [r.step, positive(r.train_loss)]), { colour, width: 1.5 }));
    const scored = rows.filter((r) => r.val_accuracy !== null && r.val_accuracy !== undefined);
    if (scored.length) {
      const s = line(name, scored.map((r) => [r.step, r.val_accuracy]), { colour, width: 2.5 });
      const base = baselineOf((run.result && run.result.baseline) ?? run.baseline);
      if (base && base.metric !== 'loss') s.markLine = { ...baselineMark(base.value), lineStyle: { type: 'dashed', color: colour, width: 1 } };
      score.series.push(s);
    }
  });
  chart('chart-compare-loss').resize();
  chart('chart-compare-score').resize();
  chart('chart-compare-loss').setOption(loss, true);
  if (score.series.length) chart('chart-compare-score').setOption(score, true);
  else placeholder('chart-compare-score', 'none of these runs has an accuracy');
}

'use strict';
// Starting the page: the tabs, the buttons, and what the URL asks to open
// (#config=<query string> reopens a configuration, #run=<id> reopens a run).

/** What the page has received, for scripts and end-to-end tests to read. */
window.labState = { ready: false, runId: null, status: null, events: {}, finished: null, gradientFlow: null };

// A mistake in the page itself is shown like any other failure, not only in the console.
window.addEventListener('error', (e) => notice(`The page hit an error: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => notice(`The page hit an error: ${e.reason && e.reason.message ? e.reason.message : e.reason}`));

function showTab(name) {
  for (const button of document.querySelectorAll('.tabs button')) button.classList.toggle('active', button.dataset.tab === name);
  for (const page of document.querySelectorAll('.tab-page')) page.hidden = page.id !== `tab-${name}`;
  if (name === 'history') refreshHistory();
  if (name === 'experiments') refreshExperiments();
  // Charts drawn while their tab was hidden have no size yet.
  requestAnimationFrame(resizeCharts);
}

async function startRun() {
  clearFieldErrors();
  const start = document.getElementById('start');
  start.disabled = true;
  try {
    const answer = await api('/api/runs', { method: 'POST', body: readForm() });
    openRun(answer.id);
    // The run card is the first on the page: in view unless the page was scrolled away from it.
    const card = document.getElementById('run-card');
    const top = card.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight - 120) card.scrollIntoView({ block: 'start', behavior: 'smooth' });
    refreshHistorySoon();
  } catch (e) {
    if (e.status === 400) {
      if (!showFieldError(e.field, e.message)) report(e, 'The server refused the configuration');
      else notice(`The server refused the configuration: ${e.message}`);
    } else if (e.status === 429) {
      const limits = lab.schema.limits || {};
      notice(`The queue is full${limits.max_queued ? ` (${limits.max_queued} runs waiting)` : ''}: wait for a run to finish, or cancel one in History, then start again.`);
    } else {
      report(e, 'Starting the run');
    }
  } finally {
    updateStart(false);
  }
}

/** Puts the open run's settings in the form, to change one knob and run again. */
function useRunSettings() {
  const config = live && live.run && live.run.config;
  if (!config) {
    notice('The run\'s settings have not arrived yet.', 'warning');
    return;
  }
  lab.config = { ...defaults(), ...config };
  writeForm(lab.config);
  markPreset(null);
  updateHash();
  scheduleCheck(0);
}

function wire() {
  for (const button of document.querySelectorAll('.tabs button')) button.addEventListener('click', () => showTab(button.dataset.tab));
  document.getElementById('start').addEventListener('click', startRun);
  document.getElementById('cancel').addEventListener('click', cancelRun);
  document.getElementById('resume').addEventListener('click', resumeRun);
  document.getElementById('snippet-show').addEventListener('click', () => loadSnippet(true));
  document.getElementById('snippet-copy').addEventListener('click', copySnippet);
  document.getElementById('run-settings').addEventListener('click', useRunSettings);
  document.getElementById('flow-measure').addEventListener('click', () => scheduleGradientFlow(true));
  document.getElementById('flow-auto').addEventListener('change', () => scheduleGradientFlow());
  document.getElementById('attention-layer').addEventListener('change', () => live && live.attention && redraw(live, 'attention'));
  document.getElementById('history-refresh').addEventListener('click', refreshHistory);
  document.getElementById('compare').addEventListener('click', compareSelected);
  document.getElementById('experiments-refresh').addEventListener('click', refreshExperiments);
  document.getElementById('exp-start').addEventListener('click', startExperiment);
  document.getElementById('run-link').addEventListener('click', (e) => {
    // The link is for copying; clicking it should not reload anything.
    e.preventDefault();
    const url = new URL(e.currentTarget.href, location.href).href;
    navigator.clipboard?.writeText(url).then(() => notice(`Copied the link to this run: ${url}`, 'info'), () => notice(`Link to this run: ${url}`, 'info'));
  });
  // A link pasted into the address bar of an open page.
  window.addEventListener('hashchange', () => openFromHash(false));
}

async function openFromHash(first) {
  const hash = readHash();
  if (hash.config !== null) await openConfigLink(hash.config);
  else if (first) {
    lab.config = defaults();
    writeForm(lab.config);
    scheduleCheck(0);
  }
  if (hash.run && (!window.labState.runId || labState.runId !== hash.run)) {
    showTab('lab');
    openRun(hash.run);
    if (hash.config === null) {
      // A link to a run alone reopens its configuration too, checked and clamped like any link
      // (a run the command line started may lie outside the lab's ranges: the page says so).
      try {
        const run = await api(`/api/runs/${encodeURIComponent(hash.run)}`);
        await openConfigLink(configQuery({ ...defaults(), ...run.config }));
        updateHash();
      } catch (e) {
        report(e, 'Opening the run\'s configuration');
      }
    }
  }
}

async function boot() {
  wire();
  try {
    lab.schema = await api('/api/schema');
  } catch (e) {
    report(e, 'Loading the controls');
    document.getElementById('controls').append(el('p', 'error-text', 'The controls could not be loaded. Reload the page once the lab server is running.'));
    return;
  }
  buildPresets();
  buildControls();
  buildExperimentForm();
  await openFromHash(true);
  refreshHistory();
  refreshExperiments();
  labState.ready = true;
}

boot();

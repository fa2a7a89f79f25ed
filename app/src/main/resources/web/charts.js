'use strict';
// ECharts in one place: one instance per chart element, the colours of the architectures, the log
// axes that the gradient norms need, and the heat-map colour scales.

/**
 * One colour per architecture, the same in every chart of the page (the architectures themselves
 * come from GET /api/schema; one without a colour here takes one from PALETTE).
 */
const MODEL_COLOURS = { rnn: '#d62728', lstm: '#1f77b4', gru: '#2ca02c', transformer: '#9467bd', mingru: '#ff7f0e', minlstm: '#8c564b' };
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
/** Sequential (dark = small) for norms, gates and attention weights. */
const SEQUENTIAL = ['#0d0887', '#6a00a8', '#b12a90', '#e16462', '#fca636', '#f0f921'];
/** Diverging (blue, white, red) for signed values: the cell state, the hidden state. */
const DIVERGING = ['#2166ac', '#67a9cf', '#f7f7f7', '#ef8a62', '#b2182b'];

const charts = {};

/** The chart drawn in the element with this id, created on first use. */
function chart(id) {
  const element = document.getElementById(id);
  let instance = charts[id];
  if (!instance || instance.isDisposed()) {
    instance = echarts.init(element, null, { renderer: 'canvas' });
    charts[id] = instance;
  }
  return instance;
}

/** Charts created while their tab was hidden have no size; they are fitted again when shown. */
function resizeCharts() {
  for (const instance of Object.values(charts)) {
    if (!instance.isDisposed()) instance.resize();
  }
}
window.addEventListener('resize', resizeCharts);

const SUPERSCRIPT = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };

/**
 * A tick of a log axis in one format for every tick: a power of ten as 10ⁿ (10⁶ and 10⁷ alike,
 * never "1000000" beside "1e7"), anything else as num() writes it.
 */
function logTick(v) {
  const k = Math.round(Math.log10(v));
  if (!Number.isFinite(k) || Math.abs(v / Math.pow(10, k) - 1) > 1e-9) return num(v, 2);
  return `10${String(k).split('').map((c) => SUPERSCRIPT[c]).join('')}`;
}

/**
 * Log-axis bounds that hold these values, at whole decades: a line drawn with them (a prediction)
 * is cut at the chart's edge instead of stretching the axis to its own extremes.
 */
function decadeBounds(values) {
  const shown = values.filter((v) => typeof v === 'number' && Number.isFinite(v) && v > 0);
  if (shown.length === 0) return {};
  return { min: Math.pow(10, Math.floor(Math.log10(Math.min(...shown)))), max: Math.pow(10, Math.ceil(Math.log10(Math.max(...shown)))) };
}

/** Log axes cannot show 0, negatives or non-numbers: such points become gaps. */
function positive(value) {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
}

/** The options every line chart shares. */
function lineBase({ xName, yName, yLog = false, xMin, xMax }) {
  return {
    animation: false,
    grid: { left: 64, right: 24, top: 56, bottom: 48 },
    tooltip: { trigger: 'axis', valueFormatter: (v) => num(v, 4) },
    legend: { top: 0, type: 'scroll' },
    // Every x of the page's line charts counts steps: ticks at whole steps only.
    xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 28, min: xMin, max: xMax, minInterval: 1, axisLabel: { formatter: (v) => (Number.isInteger(v) ? String(v) : '') } },
    yAxis: yLog
      ? { type: 'log', name: yName, logBase: 10, axisLabel: { formatter: logTick } }
      : { type: 'value', name: yName, scale: true },
  };
}

/** A line series; dashed for the secondary quantity of a pair (cell state, baseline). */
function line(name, data, { colour, width = 2, dashed = false, dotted = false, opacity = 1, z = 2 } = {}) {
  // One point draws no line: it is drawn as a marker, so a run validated once is still seen.
  const drawn = data.filter((p) => p !== null && (!Array.isArray(p) || (p[1] !== null && p[1] !== undefined))).length;
  return {
    name,
    type: 'line',
    data,
    showSymbol: drawn === 1,
    symbolSize: 8,
    connectNulls: false,
    z,
    lineStyle: { width, type: dashed ? 'dashed' : dotted ? 'dotted' : 'solid', opacity, color: colour },
    itemStyle: { color: colour, opacity },
    emphasis: { focus: 'series' },
  };
}

/** Shows a sentence in place of a chart that has nothing to draw yet. */
function placeholder(id, text) {
  // Broken into lines within the chart's width: a long sentence is never cut off at both ends.
  const width = Math.max(120, (document.getElementById(id).clientWidth || 400) - 40);
  chart(id).setOption({ title: { text, left: 'center', top: 'middle', textStyle: { color: '#888', fontSize: 13, fontWeight: 'normal', width, overflow: 'break', lineHeight: 18, align: 'center' } } }, true);
}

/** Lays n panels out on a grid of columns; returns the pixel box of each. */
function panelBoxes(n, columns, width, panelHeight, { left = 56, right = 16, top = 40, gapX = 56, gapY = 52 } = {}) {
  const boxWidth = (width - left - right - gapX * (columns - 1)) / columns;
  const boxes = [];
  for (let i = 0; i < n; i++) {
    const row = Math.floor(i / columns);
    const column = i % columns;
    boxes.push({
      left: left + column * (boxWidth + gapX),
      top: top + row * (panelHeight + gapY),
      width: boxWidth,
      height: panelHeight,
    });
  }
  return boxes;
}

/** Every k-th label of a long category axis, so labels do not overlap. */
function labelInterval(count, room) {
  return Math.max(0, Math.ceil(count / Math.max(1, room)) - 1);
}

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
    xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 28, min: xMin, max: xMax },
    yAxis: yLog
      ? { type: 'log', name: yName, logBase: 10, axisLabel: { formatter: (v) => num(v, 2) } }
      : { type: 'value', name: yName, scale: true },
  };
}

/** A line series; dashed for the secondary quantity of a pair (cell state, baseline). */
function line(name, data, { colour, width = 2, dashed = false, dotted = false, opacity = 1, z = 2 } = {}) {
  return {
    name,
    type: 'line',
    data,
    showSymbol: false,
    connectNulls: false,
    z,
    lineStyle: { width, type: dashed ? 'dashed' : dotted ? 'dotted' : 'solid', opacity, color: colour },
    itemStyle: { color: colour, opacity },
    emphasis: { focus: 'series' },
  };
}

/** Shows a sentence in place of a chart that has nothing to draw yet. */
function placeholder(id, text) {
  chart(id).setOption({ title: { text, left: 'center', top: 'middle', textStyle: { color: '#888', fontSize: 13, fontWeight: 'normal' } } }, true);
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

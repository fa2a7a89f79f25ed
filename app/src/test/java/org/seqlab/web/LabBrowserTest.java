package org.seqlab.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.seqlab.experiments.Task;
import org.seqlab.lab.LabConfig;

/**
 * The lab as a new user meets it, in a real (headless) browser: the vanishing gradient shown before
 * any training, a live RNN run with its gradient heat map, an LSTM run, the history after a reload,
 * and a Transformer's attention map.
 *
 * <p>It uses Debian's Chromium and its matching driver, so nothing is downloaded: Selenium Manager
 * is never asked because the driver's path is given. With {@code -Dseqlab.screenshots} it also
 * writes the screenshots of docs/lab/.
 */
@Timeout(180)
class LabBrowserTest {

  private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
  private static final File CHROMIUM = new File("/usr/bin/chromium");
  private static final Duration EVENTS = Duration.ofSeconds(45);

  @TempDir Path runsDir;

  private LabServer server;
  private WebDriver driver;
  private String base;

  @BeforeEach
  void start() throws Exception {
    if (!CHROMEDRIVER.canExecute() || !CHROMIUM.canExecute()) {
      fail(
          "The lab's browser test needs Chromium and its driver at /usr/bin/chromium and"
              + " /usr/bin/chromedriver: apt-get install chromium chromium-driver");
    }
    server = LabServer.start(new LabServer.Options("127.0.0.1", 0, runsDir, 2, 16, List.of()));
    base = "http://127.0.0.1:" + server.port() + "/";
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER)
            .usingAnyFreePort()
            .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000");
    driver = new ChromeDriver(service, options);
  }

  @AfterEach
  void stop() {
    if (driver != null) driver.quit();
    if (server != null) server.close();
  }

  @Test
  void vanishingGradientThenLstmThenAttention() {
    driver.get(base);
    await("the page to load its controls", Duration.ofSeconds(20), d -> isTrue("labState.ready"));

    // The Experiments tab offers every experiment the lab runs, and its form follows the choice.
    click(".tabs button[data-tab=experiments]");
    assertEquals(
        org.seqlab.lab.ExperimentJob.runnable().stream()
            .map(org.seqlab.experiments.sweep.Experiment::name)
            .toList(),
        js("return [...document.getElementById('exp-name').options].map((o) => o.value)"));
    js(
        "const s = document.getElementById('exp-name'); s.value = 'adding';"
            + " s.dispatchEvent(new Event('change'));");
    assertEquals(
        String.join(
            ", ",
            org.seqlab.experiments.sweep.Experiments.named("adding").defaults().distances().stream()
                .map(String::valueOf)
                .toList()),
        js("return document.getElementById('exp-distances').value"));
    assertEquals(
        org.seqlab.experiments.sweep.Experiments.named("adding").title(), text("#exp-title"));
    click(".tabs button[data-tab=lab]");

    // The task menu is the table of tasks, and the knob follows the task: its label and range.
    assertEquals(
        LabConfig.TASKS,
        js("return [...document.getElementById('c-task').options].map((o) => o.value)"),
        "one option per row of the table of tasks");
    js(
        "const s = document.getElementById('c-task'); s.value = 'mqar';"
            + " s.dispatchEvent(new Event('change'));");
    Task mqar = Task.MQAR;
    String knob = "#controls .control[data-control=distance] .name";
    await(
        "the distance control to become mqar's knob",
        Duration.ofSeconds(10),
        d ->
            text(knob).equals(mqar.knobLabel())
                && String.valueOf(LabConfig.knobRange(mqar).max())
                    .equals(js("return document.getElementById('c-distance').max")));
    // Its help says the range the slider and the field take: one range, from one place.
    String range = LabConfig.knobRange(mqar).min() + " to " + LabConfig.knobRange(mqar).max();
    assertEquals(
        LabConfig.knobRange(mqar).min() + " – " + LabConfig.knobRange(mqar).max(),
        text("#controls .control[data-control=distance] .range"));
    assertTrue(
        text("#controls .control[data-control=distance] .help").endsWith(range + " in the lab"),
        text("#controls .control[data-control=distance] .help"));

    // The vanishing gradient, measured at initialisation: no training needed.
    click("#presets button[data-preset=vanishing]");
    await(
        "the gradient-flow chart and its verdict",
        Duration.ofSeconds(30),
        d -> points("chart-gradient-flow") > 0 && text("#verdict").contains("VANISHING"));

    // A live RNN run: the loss curve and the gradient heat map fill as events arrive. The user
    // asks for more steps than the preset's, so that the run is still going when it is cancelled.
    setNumber("steps", 5000);
    setNumber("batch", 128);
    String rnnRun = startRun();
    await(
        "step and time_gradients events and a drawn loss curve",
        EVENTS,
        d -> events("step") > 0 && events("time_gradients") > 0 && points("chart-loss") > 0);
    await(
        "the time-gradient heat map",
        Duration.ofSeconds(10),
        d -> points("chart-time-gradients") > 0);
    if (screenshots()) {
      await("a few validations for the picture", EVENTS, d -> events("validation") >= 3);
    }
    screenshot("lab-vanishing.png", 1900, "#chart-gradient-flow");
    cancelAndAwait();

    // The LSTM: its cell state is the highway the gradient takes.
    click("#presets button[data-preset=highway]");
    setNumber("steps", 5000);
    String lstmRun = startRun();
    await("the LSTM's first training step", EVENTS, d -> events("step") > 0);
    if (screenshots()) {
      // The picture shows the LSTM's run to its end: accuracy from 0.5 to 1.
      await("the end of the LSTM's run", Duration.ofSeconds(90), d -> ended());
      await("the LSTM's gates", EVENTS, d -> events("gates") > 0 && points("chart-gates") > 0);
      screenshot("lab-highway.png", 1900, "#run-card");
    }

    // A reload keeps the run open (#run=ID) and the history lists both runs.
    driver.navigate().refresh();
    await("the page to load again", Duration.ofSeconds(20), d -> isTrue("labState.ready"));
    assertEquals(lstmRun, js("return labState.runId"), "the reloaded page reopens the run");
    click(".tabs button[data-tab=history]");
    await(
        "both runs in the history",
        Duration.ofSeconds(15),
        d ->
            !d.findElements(By.cssSelector("#history tr[data-run='" + rnnRun + "']")).isEmpty()
                && !d.findElements(By.cssSelector("#history tr[data-run='" + lstmRun + "']"))
                    .isEmpty());
    screenshot("lab-history.png", 1000, null);

    // A link to a run alone (#run=ID) reopens the run with its configuration: the RNN's, while the
    // page shows the LSTM's.
    driver.get(base + "#run=" + rnnRun);
    await(
        "the RNN run and its settings to reopen",
        Duration.ofSeconds(15),
        d ->
            rnnRun.equals(js("return labState.runId"))
                && "rnn".equals(js("return document.getElementById('c-model').value"))
                && "5000".equals(js("return document.getElementById('c-steps').value")));
    click(".tabs button[data-tab=history]");
    String lstmRow = "#history tr[data-run='" + lstmRun + "'] td.title";
    // The history redraws as it refreshes: wait for the row, then click whatever is there now.
    await(
        "the LSTM run in the history",
        Duration.ofSeconds(15),
        d -> !d.findElements(By.cssSelector(lstmRow)).isEmpty());
    js("document.querySelector(\"" + lstmRow + "\").click()");
    await(
        "the LSTM run to reopen",
        Duration.ofSeconds(10),
        d -> lstmRun.equals(js("return labState.runId")));
    // Cancelling was checked on the RNN run; this one may well have finished by now.
    stopIfStillRunning();

    // The Transformer connects the last token to the first in one step of attention.
    click("#presets button[data-preset=attention]");
    startRun();
    await(
        "an attention event (or the end of the run)",
        Duration.ofSeconds(60),
        d -> events("attention") > 0 || ended());
    assertTrue(events("attention") > 0, "the Transformer run sent an attention map");
    await("the attention heat map", Duration.ofSeconds(10), d -> points("chart-attention") > 0);
    if (screenshots()) {
      // The picture shows the trained model's attention, not the untrained one's.
      await("the end of the Transformer's run", Duration.ofSeconds(90), d -> ended());
    }
    screenshot("lab-attention.png", 1700, "#chart-attention");
    stopIfStillRunning();

    List<String> errors =
        driver.findElements(By.cssSelector("#notice .notice.error")).stream()
            .map(WebElement::getText)
            .toList();
    assertEquals(List.of(), errors, "no request of the page failed");
  }

  /**
   * On a 1280×800 window, without scrolling the page: a link whose values the lab clamps shows what
   * it changed next to Start; a preset says what it changed; Start is at hand; and the run it
   * starts opens in view.
   */
  @Test
  void startTheChangesAndTheRunAreInViewWithoutScrolling() {
    driver.manage().window().setSize(new Dimension(1280, 800));
    driver.get(
        base
            + "#config="
            + java.net.URLEncoder.encode(
                "hidden=999&steps=5000&batch=128", java.nio.charset.StandardCharsets.UTF_8));
    await("the page to load its controls", Duration.ofSeconds(20), d -> isTrue("labState.ready"));
    assertTrue(
        ((Number) js("return window.innerHeight")).longValue() <= 800,
        "the window is 800 pixels high");
    await(
        "the link's change to be listed",
        Duration.ofSeconds(20),
        d -> text("#changes").contains("hidden 999 is above its maximum 256; using 256"));
    assertInView("#changes li");
    assertInView("#start");

    // A preset says which settings it changed, where the user is looking.
    js("document.querySelector('#presets button[data-preset=highway]').click()");
    await(
        "the preset's changes",
        Duration.ofSeconds(10),
        d -> text("#preset-changes").startsWith("The preset changed: Architecture rnn → lstm"));
    assertInView("#preset-changes");
    assertInView("#start");

    // The form scrolled to its end: Start stays in view, at the top of the column.
    js("document.getElementById('configure').scrollTop = 1e6");
    assertTrue(
        ((Number) js("return document.getElementById('configure').scrollTop")).longValue() > 0,
        "the configure column scrolls");
    await(
        "the Start button to be enabled (problems: " + text("#problems") + ")",
        Duration.ofSeconds(20),
        d -> d.findElement(By.id("start")).isEnabled());
    assertInView("#start");
    js("document.getElementById('start').click()");
    await("the run to open", Duration.ofSeconds(20), d -> isTrue("labState.runId"));
    await("the run's status", Duration.ofSeconds(20), d -> !text("#status").isEmpty());
    assertInView("#run-card .card-head");
    assertEquals(0L, ((Number) js("return window.scrollY")).longValue(), "the page never scrolled");

    // The charts: whole training steps on the x axis, and the profile's axis held to what was
    // measured (the predicted line is cut at its edges).
    await(
        "the loss curve and the gradient profile",
        EVENTS,
        d -> points("chart-loss") > 0 && points("chart-profile") > 0);
    Object ticks =
        js(
            "const a = echarts.getInstanceByDom(document.getElementById('chart-loss'))"
                + ".getModel().getComponent('xAxis').axis;"
                + " return a.scale.getTicks().map((t) => t.value);");
    for (Object t : (List<?>) ticks) {
      double v = ((Number) t).doubleValue();
      assertEquals(Math.rint(v), v, "an x tick at a whole step: " + ticks);
    }
    Object profile =
        js(
            "const o = echarts.getInstanceByDom(document.getElementById('chart-profile')).getOption();"
                + " const measured = o.series.filter((s) => !s.name.startsWith('predicted'))"
                + "   .flatMap((s) => s.data.map((d) => d[1])).filter((v) => v > 0);"
                + " return [o.yAxis[0].max, Math.max(...measured), o.yAxis[0].min, Math.min(...measured)];");
    List<?> bounds = (List<?>) profile;
    double top = ((Number) bounds.get(0)).doubleValue(),
        high = ((Number) bounds.get(1)).doubleValue();
    double bottom = ((Number) bounds.get(2)).doubleValue(),
        low = ((Number) bounds.get(3)).doubleValue();
    assertTrue(
        high <= top && top <= 10 * high,
        "the profile's axis ends at " + top + ", its data at " + high);
    assertTrue(
        bottom <= low && low <= 10 * bottom,
        "the profile's axis starts at " + bottom + ", its data at " + low);
    // A chart's long sentence (the Score panel of a task scored by its loss) is broken into lines
    // inside the chart, not cut off at both ends.
    Object outside =
        js(
            "placeholder('chart-score', 'no accuracy for this task: its score is the loss, on the"
                + " left, against the dashed baseline, which is a long sentence for a narrow chart');"
                + " const c = chart('chart-score'); c.getZr().flush();"
                + " const texts = c.getZr().storage.getDisplayList().filter((e) => e.style && e.style.text);"
                + " if (texts.length === 0) return 'no text drawn';"
                + " return texts.map((e) => { const r = e.getBoundingRect().clone();"
                + "   if (e.transform) r.applyTransform(e.transform); return r; })"
                + "   .filter((r) => r.x < 0 || r.x + r.width > c.getWidth())"
                + "   .map((r) => JSON.stringify(r)).join('; ');");
    assertEquals(
        "",
        outside,
        "text outside the Score chart of width " + js("return chart('chart-score').getWidth()"));
    // A gate map over 48 tokens shows every n-th label, none over another.
    Object overlaps =
        js(
            "const tokens = Array.from({ length: 48 }, (_, i) => 'token' + i);"
                + " const matrix = tokens.map(() => [0.2, 0.8, 0.5]);"
                + " drawStateGrid('chart-gates', [{ title: 'forget gate f', matrix },"
                + "   { title: 'input gate i', matrix }], tokens);"
                + " const c = chart('chart-gates'); c.getZr().flush();"
                + " const rects = c.getZr().storage.getDisplayList()"
                + "   .filter((e) => e.style && /^token\\d+$/.test(e.style.text) && !e.ignore && !e.invisible)"
                + "   .map((e) => { const r = e.getBoundingRect().clone();"
                + "     if (e.transform) r.applyTransform(e.transform); return r; });"
                + " if (rects.length < 4) return 'only ' + rects.length + ' labels';"
                + " const bad = [];"
                + " for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++)"
                + "   if (rects[i].intersect(rects[j])) bad.push(i + '/' + j);"
                + " return bad.join(' ');");
    assertEquals("", overlaps, "token labels that overlap in the gate map");
    // One format for every tick of a log axis, and a lone point drawn as a marker.
    assertEquals(
        List.of("10⁶", "10⁷", "10⁻²", "10⁰"), js("return [1e6, 1e7, 0.01, 1].map(logTick)"));
    assertEquals(true, js("return line('one validation', [[5, 0.5]]).showSymbol"));
    assertEquals(false, js("return line('a curve', [[5, 0.5], [10, 0.6]]).showSymbol"));

    // The lab stops (its Ctrl-C) while the run trains, and starts again on the same folder: the
    // run, stopped after its step with a checkpoint, can be resumed from the page.
    String id = (String) js("return labState.runId");
    await("a training step", EVENTS, d -> events("step") > 0);
    server.close();
    try {
      // A folder the history cannot read, to be named with why.
      Path broken = Files.createDirectories(runsDir.resolve("20260101-000000-broken"));
      Files.writeString(broken.resolve("config.json"), "{not json");
      server = LabServer.start(new LabServer.Options("127.0.0.1", 0, runsDir, 2, 16, List.of()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    base = "http://127.0.0.1:" + server.port() + "/";
    driver.get(base + "#run=" + id);
    await("the page to load again", Duration.ofSeconds(20), d -> isTrue("labState.ready"));
    await(
        "the stopped run's Resume button",
        Duration.ofSeconds(20),
        d -> text("#status").equals("cancelled") && !d.findElements(By.id("continue")).isEmpty());
    assertTrue(text("#continue").startsWith("Resume from step "), text("#continue"));
    js("document.getElementById('continue').click()");
    await(
        "the run to go on",
        Duration.ofSeconds(30),
        d -> text("#status").equals("running") || text("#status").equals("queued"));
    js("document.getElementById('cancel').click()");
    await("the run to end", Duration.ofSeconds(60), d -> text("#status").contains("cancelled"));

    // The history names the run (its title and its id, which runs of one title differ in), its
    // knob by the task's name for it, and the folder it left out with why.
    js("document.querySelector('.tabs button[data-tab=history]').click()");
    String row = "#history tr[data-run='" + id + "']";
    await(
        "the run and the unreadable folder in the history",
        Duration.ofSeconds(20),
        d ->
            !d.findElements(By.cssSelector(row)).isEmpty()
                && text("#history-skipped")
                    .startsWith("20260101-000000-broken: config.json is not valid JSON"));
    assertEquals(id, text(row + " td.title .run-id"));
    // A comparison names each run in full in its legend, the same names as its table.
    Object legend =
        js(
            "document.getElementById('compare-card').hidden = false;"
                + " const title = 'LSTM H 256 on agreement distance 100 with a forget-gate bias of 1';"
                + " const runs = [0, 1, 2].map((i) => ({ id: 'run-' + i, title,"
                + "   created: '2026-12-07T06:0' + i + ':00Z', baseline: '' }));"
                + " const rows = [{ step: 1, val_loss: 0.7, val_accuracy: 0.5 }];"
                + " drawComparisonCurves(runs, runs.map(() => ({ rows })));"
                + " const c = chart('chart-compare-loss'); c.getZr().flush();"
                + " const names = runs.map((r, i) => compareName(r, i));"
                + " const bare = (t) => String(t).replace(/\\s/g, '');"
                + " const texts = c.getZr().storage.getDisplayList().filter((e) => e.style && e.style.text);"
                + " const all = texts.map((e) => bare(e.style.text)).join('');"
                + " const drawn = names.filter((n) => all.includes(bare(n))).length;"
                + " const cut = texts.filter((e) => names.some((n) => bare(n).includes(bare(e.style.text))))"
                + "   .map((e) => { const r = e.getBoundingRect().clone();"
                + "     if (e.transform) r.applyTransform(e.transform); return [e.style.text, r]; })"
                + "   .filter(([t, r]) => r.x < 0 || r.x + r.width > c.getWidth());"
                + " return drawn + ' of ' + names.length + ' names drawn, ' + cut.length + ' cut'"
                + "   + cut.map(([t, r]) => ': ' + t + ' ' + JSON.stringify(r)).join('');");
    assertEquals("3 of 3 names drawn, 0 cut", legend);
    assertEquals("Distance d 10", text(row + " td:nth-child(6)"));
    // A text's row shows its window, not a distance it does not have.
    assertEquals(
        "window 64", js("return knobWords({ task: 'char-lm', seq_len: 64, distance: 0 })"));
    assertTrue(
        text("#notice")
            .contains("The history leaves out 1 folder of the runs folder it cannot read"),
        text("#notice"));
  }

  /**
   * Fails unless the element is displayed inside the window as it stands, without scrolling the
   * page: its box within the viewport and the element itself what is drawn at its centre.
   */
  private void assertInView(String selector) {
    Object why =
        js(
            "const e = document.querySelector(arguments[0]);"
                + " if (!e) return 'not on the page';"
                + " const r = e.getBoundingClientRect();"
                + " if (r.width === 0 || r.height === 0) return 'not displayed';"
                + " if (window.scrollY !== 0) return 'the page was scrolled to ' + window.scrollY;"
                + " if (r.top < 0 || r.bottom > window.innerHeight || r.left < 0"
                + "     || r.right > window.innerWidth)"
                + "   return 'outside the window: ' + JSON.stringify(r) + ' in '"
                + "     + window.innerWidth + 'x' + window.innerHeight;"
                + " const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
                + " return e.contains(hit) ? null : 'covered by ' + (hit ? hit.outerHTML.slice(0, 80) : 'nothing');",
            selector);
    assertEquals(null, why, selector + " in view at 1280×800");
  }

  // ---- steps ----

  /** Waits for the server's check to allow a run, presses Start, and returns the run's id. */
  private String startRun() {
    Object previous = js("return labState.runId");
    await(
        "the Start button to be enabled (problems: " + text("#problems") + ")",
        Duration.ofSeconds(15),
        d -> d.findElement(By.id("start")).isEnabled());
    click("#start");
    await(
        "the run to open",
        Duration.ofSeconds(15),
        d -> {
          Object id = js("return labState.runId");
          return id != null && !id.equals(previous);
        });
    return (String) js("return labState.runId");
  }

  /**
   * Cancels the open run and waits for the status "cancelled". While screenshots are taken the test
   * waits for more events first, and a short run may finish before (or while) it is cancelled.
   */
  private void cancelAndAwait() {
    boolean mayFinish = screenshots();
    if (mayFinish && ended()) return;
    await(
        "the Cancel button",
        Duration.ofSeconds(10),
        d -> d.findElement(By.id("cancel")).isDisplayed() || (mayFinish && ended()));
    if (mayFinish && ended()) return;
    click("#cancel");
    await(
        "the status 'cancelled'",
        Duration.ofSeconds(30),
        d -> text("#status").contains("cancelled") || (mayFinish && ended()));
  }

  /** Types a value into a number control and leaves the field, as a person does. */
  private void setNumber(String control, long value) {
    WebElement input = driver.findElement(By.id("c-" + control));
    ((JavascriptExecutor) driver)
        .executeScript("arguments[0].scrollIntoView({block: 'center'})", input);
    input.clear();
    input.sendKeys(Long.toString(value), org.openqa.selenium.Keys.TAB);
    await(
        control + " " + value + " in the configuration",
        Duration.ofSeconds(10),
        d -> isTrue("decodeURIComponent(location.hash).includes('" + control + "=" + value + "')"));
  }

  /** Cancels the open run if it is still going, and waits until it has ended either way. */
  private void stopIfStillRunning() {
    await("the run's status", Duration.ofSeconds(10), d -> !text("#status").isEmpty());
    if (!ended() && driver.findElement(By.id("cancel")).isDisplayed()) click("#cancel");
    await(
        "the run to end",
        Duration.ofSeconds(30),
        d -> ended() || text("#status").contains("cancelled"));
  }

  private boolean ended() {
    return isTrue("labState.finished !== null");
  }

  // ---- reading the page ----

  private Object js(String script, Object... arguments) {
    return ((JavascriptExecutor) driver).executeScript(script, arguments);
  }

  private boolean isTrue(String expression) {
    return Boolean.TRUE.equals(js("return Boolean(" + expression + ")"));
  }

  private long events(String type) {
    return ((Number) js("return (labState.events['" + type + "'] || 0)")).longValue();
  }

  /** The number of data points in all series of the ECharts chart drawn in the element. */
  private long points(String id) {
    Object n =
        js(
            "const c = echarts.getInstanceByDom(document.getElementById('"
                + id
                + "'));"
                + " if (!c) return 0;"
                + " return (c.getOption().series || [])"
                + ".reduce((n, s) => n + (s.data ? s.data.length : 0), 0);");
    return ((Number) n).longValue();
  }

  /** The element's visible text; found again if the page redrew it meanwhile (the history does). */
  private String text(String selector) {
    for (int attempt = 1; ; attempt++) {
      try {
        List<WebElement> found = driver.findElements(By.cssSelector(selector));
        return found.isEmpty() ? "" : found.getFirst().getText();
      } catch (org.openqa.selenium.StaleElementReferenceException redrawn) {
        if (attempt == 5) throw redrawn;
      }
    }
  }

  private void click(String selector) {
    WebElement element = driver.findElement(By.cssSelector(selector));
    ((JavascriptExecutor) driver)
        .executeScript("arguments[0].scrollIntoView({block: 'center'})", element);
    element.click();
  }

  private void await(String what, Duration timeout, Function<WebDriver, Boolean> condition) {
    new WebDriverWait(driver, timeout, Duration.ofMillis(200))
        .withMessage(
            () ->
                "waiting for "
                    + what
                    + "; notices: "
                    + text("#notice")
                    + "; state: "
                    + js(
                        "return JSON.stringify({runId: labState.runId, status: labState.status, events: labState.events})"))
        .until(condition);
  }

  // ---- screenshots for docs/lab, only when asked for ----

  private static boolean screenshots() {
    return System.getProperty("seqlab.screenshots") != null;
  }

  /**
   * Saves a screenshot to docs/lab/NAME with the window made tall enough for the charts, scrolled
   * to the element; only with {@code -Dseqlab.screenshots}, so that a test run rewrites no file.
   */
  private void screenshot(String name, int height, String scrollTo) {
    if (!screenshots()) return;
    Dimension size = driver.manage().window().getSize();
    try {
      driver.manage().window().setSize(new Dimension(1400, height));
      js("window.dispatchEvent(new Event('resize'))");
      if (scrollTo != null) {
        ((JavascriptExecutor) driver)
            .executeScript(
                "arguments[0].scrollIntoView({block: 'start'}); window.scrollBy(0, -80);",
                driver.findElement(By.cssSelector(scrollTo)));
      } else {
        js("window.scrollTo(0, 0)");
      }
      Thread.sleep(600); // the charts redraw after the resize
      File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
      Path target = Path.of("docs", "lab", name);
      Files.createDirectories(target.getParent());
      Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new RuntimeException("could not save " + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      driver.manage().window().setSize(size);
    }
  }
}

package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.loop.LoopTopics;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The README's main command in its quick form: the whole closed loop with four trainer processes,
 * run once for the class, followed live by its dashboard in a real browser, then its report.
 *
 * <p>The browser is Debian's headless Chromium, driven through its ChromeDriver by Selenium, while
 * {@code demo --quick} runs: the list shows every experiment; the SalientLoRA experiment's rank
 * heatmap has one cell per adapted matrix and changes after a window end; its loss curve gains
 * points as the run goes on; a dead letter this test produces shows up with its reason; the
 * comparison view draws two experiments; the browser console stays free of errors; after the
 * experiments the demo keeps serving the page. Screenshots go to {@code
 * cli/target/dashboard-screenshots/}. Chromium and ChromeDriver come from {@code
 * .ci/install-test-deps.sh}; without them the browser test fails and says so.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DemoCommandTest {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SHOTS = Path.of("target", "dashboard-screenshots");
  private static final Pattern URL = Pattern.compile("== dashboard: (http://\\S+/)");
  private static final Pattern BROKER = Pattern.compile("broker (\\S+), registry");
  private static final Pattern STAYS_UP = Pattern.compile("the dashboard stays up at");

  /** System.out, copied into a buffer the test reads. */
  private static final class Tee extends OutputStream {
    final PrintStream out;
    final ByteArrayOutputStream copy = new ByteArrayOutputStream();

    Tee(PrintStream out) {
      this.out = out;
    }

    @Override
    public synchronized void write(int b) {
      out.write(b);
      copy.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      out.write(b, off, len);
      copy.write(b, off, len);
    }

    synchronized String text() {
      return copy.toString(StandardCharsets.UTF_8);
    }
  }

  @TempDir static Path tmp;

  private PrintStream original;
  private Tee tee;
  private Thread demo;
  private Path report;

  /** Starts {@code demo --quick} (it keeps serving the dashboard after the experiments). */
  @BeforeAll
  void startDemo() {
    report = tmp.resolve("demo.json");
    original = System.out;
    tee = new Tee(original);
    System.setOut(new PrintStream(tee, true, StandardCharsets.UTF_8));
    demo =
        new Thread(
            () ->
                SalientStream.commandLine()
                    .execute(
                        "demo",
                        "--quick",
                        "--dashboard-port",
                        "0",
                        "--report",
                        report.toString(),
                        "--work-dir",
                        tmp.resolve("work").toString()),
            "demo");
    demo.start();
  }

  @AfterAll
  void stopDemo() throws InterruptedException {
    demo.interrupt();
    demo.join(Duration.ofMinutes(1).toMillis());
    System.setOut(original);
    assertThat(demo.isAlive()).as("demo stopped").isFalse();
  }

  @Test
  @Order(1)
  void theDashboardFollowsTheDemoInARealBrowser() throws Exception {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      fail(
          "this test drives Debian's Chromium ("
              + CHROMIUM
              + ") through its ChromeDriver ("
              + CHROMEDRIVER
              + "); at least one is missing: run .ci/install-test-deps.sh (apt-get install chromium"
              + " chromium-driver)");
    }
    Files.createDirectories(SHOTS);
    WebDriver driver = null;
    try {
      String url = await(tee, URL, Duration.ofMinutes(2));
      String broker = await(tee, BROKER, Duration.ofSeconds(5));
      await(tee, Pattern.compile("   (demo-minilm-wordnet-\\S+): "), Duration.ofMinutes(2));
      List<String> ids = new ArrayList<>();
      Matcher m = Pattern.compile("   (demo-[a-z-]+-[0-9a-z]+): ").matcher(tee.text());
      while (m.find()) {
        ids.add(m.group(1));
      }
      assertThat(ids).hasSize(4);
      String salient =
          ids.stream().filter(i -> i.startsWith("demo-salientlora-recovery-")).findFirst().get();

      driver = chrome();
      JavascriptExecutor js = (JavascriptExecutor) driver;
      WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(120));
      driver.get(url);

      // the list shows every experiment
      wait.until(d -> d.findElements(By.cssSelector("#experiments tbody tr")).size() == 4);
      for (String id : ids) {
        assertThat(
                driver.findElements(By.cssSelector("#experiments tbody tr[data-id='" + id + "']")))
            .as(id)
            .hasSize(1);
      }

      // the SalientLoRA experiment: one heatmap cell per adapted matrix
      driver
          .findElement(By.cssSelector("#experiments tbody tr[data-id='" + salient + "']"))
          .click();
      wait.until(d -> d.findElements(By.cssSelector("#heatmap td.hm-cell")).size() > 0);
      long matrices =
          (Long) js.executeScript("return dashboard.state.detail.layout.matrices.length");
      assertThat(matrices).isEqualTo(24);
      assertThat(driver.findElements(By.cssSelector("#heatmap td.hm-cell"))).hasSize(24);
      long patterns = (Long) js.executeScript("return dashboard.state.detail.heatmaps.length");
      List<String> before = cells(driver);
      long lossPoints =
          (Long) js.executeScript("return dashboard.state.detail.curves.loss[0].length");
      shot(driver, "1-experiment-start");

      // a dead letter produced here: bytes without the wire format's magic byte, keyed by the
      // experiment
      try (KafkaProducer<String, byte[]> p =
          new KafkaProducer<>(
              Map.of("bootstrap.servers", broker),
              new StringSerializer(),
              new ByteArraySerializer())) {
        p.send(
                new ProducerRecord<>(
                    LoopTopics.forPrefix("").singularValues(), salient, new byte[] {7, 1, 2, 3}))
            .get();
      }
      wait.until(
          d ->
              d.findElements(By.cssSelector("#deadletters tbody tr")).stream()
                  .anyMatch(r -> r.getDomProperty("textContent").contains(salient)));
      WebElement dl =
          driver.findElements(By.cssSelector("#deadletters tbody tr")).stream()
              .filter(r -> r.getDomProperty("textContent").contains(salient))
              .findFirst()
              .get();
      assertThat(dl.getDomAttribute("data-reason")).isEqualTo("DESERIALIZATION");
      assertThat(dl.getDomProperty("textContent")).contains("magic byte");

      // the heatmap changes after a window end (a new pattern arrives live and is shown)
      wait.until(
          d ->
              (Long) js.executeScript("return dashboard.state.detail.heatmaps.length") > patterns
                  && !cells(d).equals(before));
      assertThat(cells(driver)).hasSize(24).isNotEqualTo(before);
      // the loss curve gained points while the run went on
      wait.until(
          d ->
              (Long) js.executeScript("return dashboard.state.detail.curves.loss[0].length")
                  > lossPoints);
      assertThat((Long) js.executeScript("return dashboard.charts.loss.data[0].length"))
          .isGreaterThan(lossPoints);
      shot(driver, "2-experiment-after-window-end");

      // comparison: two experiments side by side
      driver
          .findElement(By.cssSelector("#experiments tbody tr[data-id='" + ids.get(0) + "'] input"))
          .click();
      driver
          .findElement(By.cssSelector("#experiments tbody tr[data-id='" + ids.get(1) + "'] input"))
          .click();
      driver.findElement(By.cssSelector("nav button[data-tab='compare']")).click();
      wait.until(
          d -> d.findElements(By.cssSelector("#compare-heatmaps table.heatmap")).size() == 2);
      shot(driver, "3-compare");
      driver.findElement(By.cssSelector("nav button[data-tab='deadletters']")).click();
      shot(driver, "4-dead-letters");

      // after the experiments the demo keeps serving the page
      await(tee, STAYS_UP, Duration.ofMinutes(4));
      driver.findElement(By.cssSelector("nav button[data-tab='experiments']")).click();
      wait.until(
          d ->
              d.findElements(By.cssSelector("#experiments tbody td[data-key='state']")).stream()
                  .allMatch(td -> td.getText().equals("FINISHED")));
      shot(driver, "5-finished");
      driver.navigate().refresh();
      wait.until(d -> d.findElements(By.cssSelector("#experiments tbody tr")).size() == 4);

      @SuppressWarnings("unchecked")
      List<Object> errors = (List<Object>) js.executeScript("return window.__consoleErrors");
      assertThat(errors).as("browser console errors").isEmpty();
    } finally {
      if (driver != null) {
        driver.quit();
      }
    }
  }

  @Test
  @Order(2)
  void quickDemoRunsFourExperimentsOverKafkaAndReportsThem() throws Exception {
    // the report is written when the experiments are done, before the demo keeps serving
    await(tee, STAYS_UP, Duration.ofMinutes(6));
    JsonNode summary = new ObjectMapper().readTree(report.toFile());
    JsonNode experiments = summary.get("experiments");
    assertThat(experiments).hasSize(4);
    assertThat(experiments.findValuesAsText("policy"))
        .containsExactly("salientlora", "adalora", "prilora", "salientlora");
    assertThat(experiments.findValuesAsText("allocation"))
        .containsExactly("kafka-sync", "kafka-sync", "kafka-sync", "kafka-async");
    for (JsonNode e : experiments) {
      assertThat(e.get("commandsApplied").asLong()).as(e.get("experimentId").asText()).isPositive();
      assertThat(e.get("finalTotalRank").asInt()).isPositive();
      assertThat(e.get("steps").asLong()).isPositive();
      assertThat(e.get("metrics").size()).isPositive();
    }
    // rank recovery starts at rank 12 per matrix and must have been pruned by the loop
    assertThat(experiments.get(0).get("finalTotalRank").asInt())
        .isLessThan(12 * experiments.get(0).get("ranks").size());
    // sync mode: every command was waited for, so each has a latency sample and none was late
    JsonNode sync = experiments.get(1);
    assertThat(sync.get("loopLatencyMs").get("samples").asLong())
        .isEqualTo(sync.get("commandsApplied").asLong());
    assertThat(sync.get("commandLagSteps").get("max").asLong()).isZero();
    assertThat(summary.get("loopLatencyMs").get("samples").asLong()).isPositive();
    // PRILoRA: ranks grow with the layer, and its entry masks pruned entries of A over the loop
    JsonNode pri = experiments.get(2);
    List<Integer> ranks = new ArrayList<>();
    pri.get("ranks").forEach(r -> ranks.add(r.asInt()));
    assertThat(ranks.get(0)).isLessThan(ranks.get(ranks.size() - 1));
    assertThat(ranks).isSortedAccordingTo(Integer::compare);
    long kept = 0;
    for (JsonNode k : pri.get("keptEntries")) {
      kept += k.asLong();
    }
    assertThat(pri.get("keptEntries")).hasSize(ranks.size());
    assertThat(kept).isPositive().isLessThan(pri.get("entries").asLong());
    assertThat(pri.get("loopLatencyMs").get("samples").asLong())
        .isEqualTo(pri.get("commandsApplied").asLong());
  }

  private static ChromeDriver chrome() {
    ChromeOptions o = new ChromeOptions();
    o.setBinary(CHROMIUM.toFile());
    o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1400");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
            .usingAnyFreePort()
            .build();
    ChromeDriver d = new ChromeDriver(service, o);
    // collects console errors, uncaught errors and failed loads from before the page's own scripts
    d.executeCdpCommand(
        "Page.addScriptToEvaluateOnNewDocument",
        Map.of(
            "source",
            "window.__consoleErrors = [];"
                + "const __e = console.error.bind(console);"
                + "console.error = (...a) => { window.__consoleErrors.push(a.map(String).join(' ')); __e(...a); };"
                + "window.addEventListener('error', (ev) => window.__consoleErrors.push('error: '"
                + " + (ev.message || (ev.target && (ev.target.src || ev.target.href)) || ev.type)), true);"
                + "window.addEventListener('unhandledrejection', (ev) =>"
                + " window.__consoleErrors.push('unhandled rejection: ' + ev.reason));"));
    return d;
  }

  /** The heatmap's cells, read in one script: the table is redrawn whenever a pattern arrives. */
  @SuppressWarnings("unchecked")
  private static List<String> cells(WebDriver d) {
    return (List<String>)
        ((JavascriptExecutor) d)
            .executeScript(
                "return Array.from(document.querySelectorAll('#heatmap td.hm-cell'))"
                    + ".map(c => c.dataset.matrix + '=' + c.dataset.value)");
  }

  private static void shot(WebDriver d, String name) throws Exception {
    byte[] png = ((ChromeDriver) d).getScreenshotAs(OutputType.BYTES);
    Files.write(SHOTS.resolve(name + ".png"), png);
  }

  private static String await(Tee tee, Pattern p, Duration max) throws InterruptedException {
    long until = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < until) {
      Matcher m = p.matcher(tee.text());
      if (m.find()) {
        return m.groupCount() > 0 ? m.group(1) : m.group();
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the demo did not print " + p + " within " + max + ":\n" + tee.text());
  }
}

package io.salientstream.loop;

import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SalienceReport;
import io.salientstream.avro.TrainerStatus;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The state behind {@code salientstream watch}: the latest view of every experiment, folded from
 * the status, salience-report, command and dead-letter topics. Rendering is a pure function of what
 * was folded in, so it is testable without a terminal.
 */
public final class Monitor {

  /** What the monitor knows about one experiment. */
  static final class Row {
    String policy = "?";
    String state = "?";
    long step = -1;
    long totalSteps;
    double loss = Double.NaN;
    double stepsPerSecond;
    int totalRank = -1;
    int lastWindow;
    long commands;
    long lastCommandStep = -1;
    long lagSteps;
    long deadLetters;
    Map<String, Double> metrics = Map.of();
  }

  private final Map<String, Row> rows = new TreeMap<>();
  private long deadLettersWithoutKey;

  private Row row(String id) {
    return rows.computeIfAbsent(id, k -> new Row());
  }

  public synchronized void onStatus(TrainerStatus s) {
    Row r = row(s.getExperimentId());
    r.state = s.getState().toString();
    r.step = s.getStep();
    r.totalSteps = s.getTotalSteps();
    r.loss = s.getTaskLoss();
    r.stepsPerSecond = s.getStepsPerSecond();
    r.totalRank = s.getTotalRank();
    r.lagSteps = s.getCommandLagSteps();
    if (!s.getMetrics().isEmpty()) {
      r.metrics = s.getMetrics();
    }
  }

  public synchronized void onReport(SalienceReport rep) {
    Row r = row(rep.getExperimentId());
    r.policy = rep.getPolicy();
    r.lastWindow = rep.getWindowLength();
  }

  public synchronized void onCommand(RankPruneCommand c) {
    Row r = row(c.getExperimentId());
    r.commands = Math.max(r.commands, c.getSequence());
    r.lastCommandStep = c.getApplyAtStep();
    r.totalRank = r.totalRank < 0 ? c.getTotalRank() : r.totalRank;
    r.policy = c.getProvenance().getPolicy();
  }

  public synchronized void onDeadLetter(String key, DeadLetter d) {
    if (key == null
        || !rows.containsKey(key) && d.getReason().toString().equals("DESERIALIZATION")) {
      deadLettersWithoutKey++;
    } else {
      row(key).deadLetters++;
    }
  }

  public synchronized int experiments() {
    return rows.size();
  }

  /** A plain-text table, one line per experiment. */
  public synchronized String render() {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "%-28s %-11s %-9s %13s %9s %7s %6s %7s %8s %9s %6s %s%n",
            "experiment",
            "policy",
            "state",
            "step",
            "loss",
            "steps/s",
            "rank",
            "window",
            "commands",
            "lag(stp)",
            "DLQ",
            "metrics"));
    for (Map.Entry<String, Row> e : rows.entrySet()) {
      Row r = e.getValue();
      String step =
          r.step < 0
              ? "-"
              : r.totalSteps > 0 ? r.step + "/" + r.totalSteps : String.valueOf(r.step);
      StringBuilder m = new StringBuilder();
      r.metrics.forEach(
          (k, v) ->
              m.append(k).append('=').append(String.format(Locale.ROOT, "%.3f", v)).append(' '));
      sb.append(
          String.format(
              Locale.ROOT,
              "%-28s %-11s %-9s %13s %9s %7.1f %6s %7d %8d %9d %6d %s%n",
              abbreviate(e.getKey(), 28),
              r.policy,
              r.state,
              step,
              Double.isNaN(r.loss) ? "-" : String.format(Locale.ROOT, "%.4f", r.loss),
              r.stepsPerSecond,
              r.totalRank < 0 ? "-" : String.valueOf(r.totalRank),
              r.lastWindow,
              r.commands,
              r.lagSteps,
              r.deadLetters,
              m.toString().trim()));
    }
    if (deadLettersWithoutKey > 0) {
      sb.append("dead letters without an experiment: ").append(deadLettersWithoutKey).append('\n');
    }
    return sb.toString();
  }

  private static String abbreviate(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n - 1) + "…";
  }
}

package io.salientstream.dashboard;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.salientstream.http.HttpAuth;
import io.salientstream.loop.LoopTopics;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dashboard service: a {@link DashboardFeed} folding a tenant's topics into {@link
 * DashboardState} and a {@link DashboardHttp} serving the page, the JSON API and the live event
 * stream. One lifecycle: {@link #start} / {@link #close}.
 */
public final class Dashboard implements AutoCloseable {

  /**
   * Where and how the dashboard serves.
   *
   * @param auth required on every path but {@code /health} (e.g. {@link
   *     HttpAuth#tokenForBrowsers}); null: none
   */
  public record Settings(String host, int port, int maxStreams, HttpAuth auth) {
    public Settings {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("dashboard port must be in 0..65535, got " + port);
      }
      if (maxStreams < 1) {
        throw new IllegalArgumentException("max streams must be >= 1, got " + maxStreams);
      }
    }

    /** Without authentication. */
    public Settings(String host, int port, int maxStreams) {
      this(host, port, maxStreams, null);
    }

    /** Localhost, the given port, 32 event streams, no authentication. */
    public static Settings local(int port) {
      return new Settings("127.0.0.1", port, 32);
    }
  }

  private final DashboardFeed feed;
  private final DashboardHttp http;
  private final PrometheusMeterRegistry meters;
  private final String host;

  private Dashboard(DashboardFeed feed, DashboardHttp http, PrometheusMeterRegistry m, String h) {
    this.feed = feed;
    this.http = http;
    this.meters = m;
    this.host = h;
  }

  /**
   * Starts following {@code topics} and serving.
   *
   * @param config Kafka client and serde settings (bootstrap servers, registry URL, ...)
   * @param tenant the tenant prefix (names the consumer group)
   */
  public static Dashboard start(
      Map<String, Object> config, LoopTopics topics, String tenant, Settings settings)
      throws IOException {
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    DashboardState state = new DashboardState();
    DashboardFeed feed = new DashboardFeed(config, topics, tenant, state, meters);
    DashboardHttp http;
    try {
      http =
          new DashboardHttp(
              state,
              settings.host(),
              settings.port(),
              settings.maxStreams(),
              settings.auth(),
              () -> health(feed, state),
              meters);
    } catch (IOException | RuntimeException e) {
      feed.close();
      meters.close();
      throw e;
    }
    feed.start();
    return new Dashboard(feed, http, meters, settings.host());
  }

  private static Map<String, Object> health(DashboardFeed feed, DashboardState state) {
    Map<String, Object> h = new LinkedHashMap<>();
    String failure = feed.failure();
    h.put("status", failure == null ? "UP" : "DOWN");
    if (failure != null) {
      h.put("failure", failure);
    }
    h.put("caughtUp", feed.caughtUp());
    h.put("records", feed.records());
    h.put("experiments", state.size());
    return h;
  }

  public int port() {
    return http.port();
  }

  /** The page's address. */
  public String url() {
    String h = host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host;
    if (h.contains(":")) {
      h = "[" + h + "]";
    }
    return "http://" + h + ":" + port() + "/";
  }

  /** Records folded in so far. */
  public long records() {
    return feed.records();
  }

  /** Open event streams (pages connected). */
  public int openStreams() {
    return http.openStreams();
  }

  @Override
  public void close() {
    http.close();
    feed.close();
    meters.close();
  }
}

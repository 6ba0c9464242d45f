package io.salientstream.cli;

import io.salientstream.dashboard.Dashboard;
import io.salientstream.http.HttpAuth;
import io.salientstream.loop.LoopTopics;
import io.salientstream.streams.LayeredConfig;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code salientstream dashboard}: the live web page and JSON API over a tenant's experiments. */
@Command(
    name = "dashboard",
    mixinStandardHelpOptions = true,
    description = {
      "Serve the live dashboard of every experiment of a tenant: a web page (curves, rank heatmaps, commands,"
          + " dead letters, comparison) and a JSON API, fed by a read_committed Kafka consumer of the tenant's topics.",
      "Binds to salientstream.http.host (localhost by default) unless --bind says otherwise; with"
          + " salientstream.http.token-file every path but /health needs the token (browsers ask for it"
          + " once: any user name, the token as password); GET /health and /metrics like the other services."
    })
final class DashboardCommand implements Callable<Integer> {

  @Mixin ConnectionOptions connection;

  @Option(
      names = "--http-port",
      defaultValue = "8092",
      description = "Port of the page, the API, /health and /metrics (default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(
      names = "--bind",
      paramLabel = "ADDRESS",
      description =
          "Address to listen on (default: salientstream.http.host, else localhost; 0.0.0.0 serves"
              + " every interface).")
  String bind;

  @Option(
      names = "--max-streams",
      defaultValue = "32",
      description = "Open live streams (browser tabs) served at once (default: ${DEFAULT-VALUE}).")
  int maxStreams;

  @Override
  public Integer call() throws Exception {
    LayeredConfig cfg = connection.resolve();
    Map<String, Object> config = ServicesCommands.serdeConfig(cfg);
    HttpAuth auth =
        cfg.httpToken()
            .map(t -> HttpAuth.tokenForBrowsers("salientstream dashboard", "viewer", t))
            .orElse(null);
    Dashboard dashboard =
        Dashboard.start(
            config,
            LoopTopics.forPrefix(cfg.tenant()),
            cfg.tenant(),
            new Dashboard.Settings(
                bind != null ? bind : cfg.httpHost(), httpPort, maxStreams, auth));
    System.out.println(
        "dashboard of "
            + cfg.bootstrapServers()
            + " at "
            + dashboard.url()
            + " (also /api/experiments, /health, /metrics"
            + (auth != null ? "; token required but on /health" : "")
            + "); Ctrl-C stops it");
    ServicesCommands.runUntilStopped(dashboard);
    return 0;
  }
}

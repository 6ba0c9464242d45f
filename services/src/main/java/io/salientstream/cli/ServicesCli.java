package io.salientstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code bin/salientstream-services} launcher: the control loop's Streams services and the
 * platform commands, on a classpath without DJL, libtorch or a model jar ({@code
 * ServicesClasspathTest} checks it). The full launcher {@code bin/salientstream} has these commands
 * too, beside the trainer, the demo, watch and bench.
 */
@Command(
    name = "salientstream-services",
    mixinStandardHelpOptions = true,
    versionProvider = ServicesCli.Version.class,
    description =
        "The control loop's Kafka Streams services (salience-analyzer, pruner), the dashboard and topic/platform commands.",
    subcommands = {CommandLine.HelpCommand.class})
public final class ServicesCli {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The services launcher with its subcommands registered; tests call {@code execute} on it. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new ServicesCli());
    register(cl);
    return Launchers.withErrorHandling(cl, "salientstream-services");
  }

  /**
   * The services' subcommands, in the order {@code --help} lists them (the full launcher adds them
   * too).
   */
  static void register(CommandLine cl) {
    cl.addSubcommand(new LocalCommand());
    cl.addSubcommand(new PlatformCommands.Broker());
    cl.addSubcommand(new PlatformCommands.Registry());
    cl.addSubcommand(new TopicsCommand());
    cl.addSubcommand(new TenantCommand());
    cl.addSubcommand(new ServicesCommands.Analyzer());
    cl.addSubcommand(new ServicesCommands.PrunerCmd());
    cl.addSubcommand(new DashboardCommand());
  }

  /** Version from the jar manifest when packaged. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"salientstream-services " + Launchers.version(ServicesCli.class)};
    }
  }
}

package io.salientstream.cli;

/** The code version stamped into command provenance and reports. */
final class Versions {
  private Versions() {}

  static String code() {
    String v = Versions.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }
}

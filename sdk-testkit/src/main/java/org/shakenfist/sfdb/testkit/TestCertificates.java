package org.shakenfist.sfdb.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Throw-away certificates for TLS tests, made with the {@code openssl} command: a CA, a server certificate it
 * signs for {@code 127.0.0.1}-{@code 127.0.0.5}, {@code ::1} and {@code localhost}, a client certificate it
 * signs (for mTLS), and an unrelated CA (for "wrong CA" tests). Keys are PKCS#8 PEM. Valid for 2 days.
 *
 * <pre>{@code
 * TestCertificates certs = TestCertificates.generate(tempDir);
 * var server = TlsServerCredentials.newBuilder().keyManager(certs.serverCert().toFile(), certs.serverKey().toFile())
 *     .trustManager(certs.ca().toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
 * // client: SHAKENFIST_MARIADB_GATEWAY_TLS_CA=certs.ca(), ..._TLS_CERT=certs.clientCert(), ..._TLS_KEY=certs.clientKey()
 * }</pre>
 *
 * @param ca the CA certificate (PEM)
 * @param serverCert the server certificate (PEM), signed by {@code ca}
 * @param serverKey its key
 * @param clientCert a client certificate (PEM), signed by {@code ca}
 * @param clientKey its key
 * @param otherCa a CA that signed none of these
 */
public record TestCertificates(Path ca, Path serverCert, Path serverKey, Path clientCert, Path clientKey,
    Path otherCa) {

  /** Empty when {@code openssl} can run here; otherwise why not. */
  public static Optional<String> unavailableReason() {
    try {
      Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? Optional.empty()
          : Optional.of("openssl version failed");
    } catch (IOException e) {
      return Optional.of("no openssl command for test certificates: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted");
    }
  }

  /** Generates a fresh set into {@code dir}. */
  public static TestCertificates generate(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path server = dir.resolve("server.ext");
    Files.writeString(server, "subjectAltName=IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,IP:127.0.0.4,IP:127.0.0.5,"
        + "IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    Path client = dir.resolve("client.ext");
    Files.writeString(client, "extendedKeyUsage=clientAuth\n");
    openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=sfdb test CA");
    openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca.key", "-out", "other-ca.pem",
        "-days", "2", "-subj", "/CN=sfdb unrelated CA");
    for (String who : List.of("server", "client")) {
      openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", who + ".key", "-out", who + ".csr", "-subj",
          "/CN=sfdb test " + who);
      openssl(dir, "x509", "-req", "-in", who + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
          "-out", who + ".pem", "-days", "2", "-extfile", who + ".ext");
    }
    return new TestCertificates(dir.resolve("ca.pem"), dir.resolve("server.pem"), dir.resolve("server.key"),
        dir.resolve("client.pem"), dir.resolve("client.key"), dir.resolve("other-ca.pem"));
  }

  private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("openssl " + String.join(" ", args) + " failed: " + out);
    }
  }
}

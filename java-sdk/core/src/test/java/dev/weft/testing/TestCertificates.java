package dev.weft.testing;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.annotation.Nullable;
import javax.net.ssl.KeyManagerFactory;

/**
 * Certificates generated for a run by the JDK's keytool (RSA 2048, self-signed, valid 2 days): a
 * server's for 127.0.0.1 (SAN ip:127.0.0.1, dns:localhost) and a client's, in PKCS12 stores and
 * as PEM, and the server side of TLS over them (grpc-java's Netty, JDK TLS, ALPN h2).
 */
public final class TestCertificates {
  public static final String PASSWORD = "weft-test";

  private final Path dir;
  public final Path serverStore;
  public final byte[] serverCertPem;
  public final byte[] clientCertPem;
  public final byte[] clientKeyPem;

  private TestCertificates(Path dir) throws IOException, GeneralSecurityException {
    this.dir = dir;
    serverStore = keyPair("server", "CN=127.0.0.1", "SAN=ip:127.0.0.1,dns:localhost");
    serverCertPem = exportCert(serverStore, "server");
    Path clientStore = keyPair("client", "CN=weft-test-client", null);
    clientCertPem = exportCert(clientStore, "client");
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(clientStore.toFile())) {
      ks.load(in, PASSWORD.toCharArray());
    }
    PrivateKey key = (PrivateKey) ks.getKey("client", PASSWORD.toCharArray());
    clientKeyPem = ("-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** Generates both key pairs and certificates in {@code dir}. */
  public static TestCertificates generate(Path dir) throws IOException, GeneralSecurityException {
    return new TestCertificates(dir);
  }

  /** The server's TLS: its key and certificate, and the client's certificate if required. */
  public SslContext serverContext(boolean requireClientCert)
      throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(serverStore.toFile())) {
      ks.load(in, PASSWORD.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, PASSWORD.toCharArray());
    SslContextBuilder ssl = GrpcSslContexts.configure(SslContextBuilder.forServer(kmf),
        SslProvider.JDK);
    if (requireClientCert) {
      ssl.trustManager(new ByteArrayInputStream(clientCertPem)).clientAuth(ClientAuth.REQUIRE);
    }
    return ssl.build();
  }

  private Path keyPair(String alias, String dname, @Nullable String san) throws IOException {
    Path store = dir.resolve(alias + ".p12");
    List<String> command = new ArrayList<>(List.of(keytool(), "-genkeypair", "-alias", alias,
        "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", dname,
        "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD,
        "-keypass", PASSWORD));
    if (san != null) {
      command.addAll(List.of("-ext", san));
    }
    run(command);
    return store;
  }

  private byte[] exportCert(Path store, String alias) throws IOException {
    Path pem = dir.resolve(alias + ".pem");
    run(List.of(keytool(), "-exportcert", "-rfc", "-alias", alias, "-keystore", store.toString(),
        "-storepass", PASSWORD, "-file", pem.toString()));
    return Files.readAllBytes(pem);
  }

  private static String keytool() {
    return Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
  }

  private static void run(List<String> command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
  }
}

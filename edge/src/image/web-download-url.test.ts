import { describe, expect, it } from "vitest";
import { checkWebDownloadUri } from "./web-download-url.js";

describe("web-download URI check", () => {
  it("accepts http and https URLs, loopback and named hosts included", () => {
    expect(checkWebDownloadUri("http://127.0.0.1:8080/disk.img").port).toBe("8080");
    expect(checkWebDownloadUri("https://cloud-images.example.org/x.qcow2").hostname).toBe("cloud-images.example.org");
  });

  it("refuses other schemes, credentials and metadata or unspecified addresses", () => {
    for (const bad of ["file:///etc/passwd", "ftp://h/x", "http://u:p@h/x", "http://169.254.169.254/latest/meta-data", "http://[fe80::1]/x", "http://0.0.0.0/x", "http://[::ffff:169.254.169.254]/x", "not a url"]) {
      expect(() => checkWebDownloadUri(bad), bad).toThrow();
    }
  });
});

// Imported first by every script, before node-opcua.
//
// 1. node-opcua logs with console.log, and stdout must carry nothing but the script's one JSON
//    object: its logs go to stderr instead.
// 2. On Node 20, node-opcua-secure-channel runs a diagnostic as it loads: it generates a 4096-bit
//    RSA key (2-5 s of CPU on this machine) to see whether RSA PKCS#1 v1.5 still works, only to
//    log a warning, and the process cannot exit before the key is done. That would cost every
//    client run seconds and put a stray CPU load beside every benchmark. The diagnostic skips
//    itself on Node 22 and later, so Node's version reads as 22 while node-opcua loads;
//    lib/common.mjs puts the real one back. Nothing else in node-opcua reads the version.
//    (The check concerns encrypting security policies; these scripts use SecurityPolicy None.)
console.log = (...args) => console.error(...args);
console.info = (...args) => console.error(...args);
console.warn = (...args) => console.error(...args);

export const realNodeVersion = process.version;
if (/^v20\./.test(realNodeVersion)) {
  Object.defineProperty(process, "version", { value: "v22.0.0", configurable: true, enumerable: true, writable: false });
}

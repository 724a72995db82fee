export * from "./messages.js";
export * from "./topics.js";
export * from "./names.js";
export * from "./guest-config.js";
export * from "./volume-messages.js";
export * from "./network-messages.js";
export * from "./overlay-messages.js";

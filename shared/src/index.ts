export * from "./messages.js";
export * from "./topics.js";
export * from "./names.js";
export * from "./network-messages.js";

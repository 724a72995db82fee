/** One schema file per service, so each service's tables live beside each other. */
export * from "./schema/identity";
export * from "./schema/compute";
export * from "./schema/image";
export * from "./schema/network";
export * from "./schema/volume";
export * from "./schema/l3";
export * from "./schema/overlay";

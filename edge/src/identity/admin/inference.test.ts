import { describe, expect, it } from "vitest";
import { effectiveRoles } from "../../lib/policy.js";
import { expandImplied, impliedNames, isImmutableRole } from "./inference.js";

const roles = [{ id: "A", name: "admin" }, { id: "M", name: "member" }, { id: "R", name: "reader" }, { id: "X", name: "auditor" }];

describe("role inference", () => {
  it("follows the chain nearest first and agrees with policy", () => {
    expect(impliedNames("admin")).toEqual(["member", "reader"]);
    expect(impliedNames("member")).toEqual(["reader"]);
    expect(impliedNames("reader")).toEqual([]);
    expect(impliedNames("auditor")).toEqual([]);
    for (const r of ["admin", "member", "reader"]) expect(new Set([r, ...impliedNames(r)])).toEqual(effectiveRoles([r]));
    expect(isImmutableRole("admin") && !isImmutableRole("auditor")).toBe(true);
  });

  it("expands assignments, keeping direct ones over implied duplicates", () => {
    const direct = [{ userId: "u", projectId: "p", roleId: "A" }, { userId: "u", projectId: "p", roleId: "R" }, { userId: "v", projectId: "p", roleId: "X" }];
    expect(expandImplied(direct, roles)).toEqual([
      ...direct,
      { userId: "u", projectId: "p", roleId: "M", priorRoleId: "A" },
    ]);
  });
});

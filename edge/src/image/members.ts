import { and, eq } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import { imageMembers } from "../db/schema.js";
import { member, reader } from "../lib/auth.js";
import type { AppEnv, AuthContext } from "../lib/context.js";
import { ApiError, readJson } from "../lib/errors.js";
import { assertOwner, findImage } from "./service.js";
import { memberView, type ImageRow } from "./views.js";

const isOwner = (auth: AuthContext, img: ImageRow) => auth.isAdmin || img.owner === auth.projectId;

function assertShared(img: ImageRow) {
  if (img.visibility !== "shared") throw new ApiError(403, `Only shared images have members.`);
}

/** Image sharing: the owner adds projects; each member project accepts or rejects for itself. */
export function mountMembers(app: Hono<AppEnv>) {
  app.post("/v2/images/:id/members", member(), async (c) => {
    const { db } = c.var.deps;
    const img = await findImage(db, c.var.auth, c.req.param("id"));
    assertOwner(c.var.auth, img, "share");
    assertShared(img);
    const { member: memberId } = z.object({ member: z.string().min(1).max(255) }).parse(await readJson(c));
    const [row] = await db.insert(imageMembers).values({ imageId: img.id, memberId }).onConflictDoNothing().returning();
    if (!row) throw new ApiError(409, `Member ${memberId} already exists for image ${img.id}.`);
    return c.json(memberView(row));
  });

  app.get("/v2/images/:id/members", reader(), async (c) => {
    const { db } = c.var.deps;
    const img = await findImage(db, c.var.auth, c.req.param("id"));
    assertShared(img);
    const own = isOwner(c.var.auth, img);
    const rows = await db.select().from(imageMembers)
      .where(own ? eq(imageMembers.imageId, img.id) : and(eq(imageMembers.imageId, img.id), eq(imageMembers.memberId, c.var.auth.projectId ?? "")));
    return c.json({ members: rows.map(memberView), schema: "/v2/schemas/members" });
  });

  const findMember = async (imageId: string, memberId: string, db: AppEnv["Variables"]["deps"]["db"]) => {
    const row = (await db.select().from(imageMembers).where(and(eq(imageMembers.imageId, imageId), eq(imageMembers.memberId, memberId))))[0];
    if (!row) throw new ApiError(404, `Member ${memberId} not found for image ${imageId}.`);
    return row;
  };

  app.get("/v2/images/:id/members/:member", reader(), async (c) => {
    const { db } = c.var.deps;
    const img = await findImage(db, c.var.auth, c.req.param("id"));
    const memberId = c.req.param("member");
    if (!isOwner(c.var.auth, img) && memberId !== c.var.auth.projectId) throw new ApiError(404, `Member ${memberId} not found for image ${img.id}.`);
    return c.json(memberView(await findMember(img.id, memberId, db)));
  });

  app.put("/v2/images/:id/members/:member", member(), async (c) => {
    const { db } = c.var.deps;
    const img = await findImage(db, c.var.auth, c.req.param("id"));
    const memberId = c.req.param("member");
    const body = z.object({ status: z.string() }).parse(await readJson(c));
    if (!["pending", "accepted", "rejected"].includes(body.status)) throw new ApiError(400, `Invalid status '${body.status}': it must be pending, accepted or rejected.`);
    await findMember(img.id, memberId, db);
    if (memberId !== c.var.auth.projectId) throw new ApiError(403, "Only the member project can change the status of its membership.");
    const [row] = await db.update(imageMembers).set({ status: body.status, updatedAt: new Date().toISOString() })
      .where(and(eq(imageMembers.imageId, img.id), eq(imageMembers.memberId, memberId))).returning();
    return c.json(memberView(row));
  });

  app.delete("/v2/images/:id/members/:member", member(), async (c) => {
    const { db } = c.var.deps;
    const img = await findImage(db, c.var.auth, c.req.param("id"));
    assertOwner(c.var.auth, img, "remove members of");
    await findMember(img.id, c.req.param("member"), db);
    await db.delete(imageMembers).where(and(eq(imageMembers.imageId, img.id), eq(imageMembers.memberId, c.req.param("member"))));
    return c.body(null, 204);
  });
}

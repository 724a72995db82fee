import type { Hono } from "hono";
import { member, reader } from "../lib/auth.js";
import type { AppEnv } from "../lib/context.js";
import { readJson } from "../lib/errors.js";
import { attachVolume, detachVolume, findAttachment, novaAttachmentView, serverAttachments } from "../volume/attach.js";
import { findServer } from "./servers.js";

/** Nova's os-volume_attachments (2.1 shapes): attach and detach live, list, show. */
export function registerVolumeAttachmentRoutes(app: Hono<AppEnv>) {
  const P = "/v2.1/servers/:id/os-volume_attachments";
  app.get(P, reader(), async (c) => {
    const s = await findServer(c.var.deps.db, c.var.auth, c.req.param("id"));
    return c.json({ volumeAttachments: (await serverAttachments(c.var.deps.db, s.id)).map(novaAttachmentView) });
  });
  app.get(`${P}/:volumeId`, reader(), async (c) => {
    const s = await findServer(c.var.deps.db, c.var.auth, c.req.param("id"));
    return c.json({ volumeAttachment: novaAttachmentView(await findAttachment(c.var.deps.db, s.id, c.req.param("volumeId"))) });
  });
  app.post(P, member(), async (c) => {
    const a = await attachVolume(c.var.deps, c.var.auth, c.req.param("id"), await readJson(c));
    return c.json({ volumeAttachment: novaAttachmentView(a) });
  });
  app.delete(`${P}/:volumeId`, member(), async (c) => {
    await detachVolume(c.var.deps, c.var.auth, c.req.param("id"), c.req.param("volumeId"));
    return c.body(null, 202);
  });
}

import { ApiError } from "../lib/errors.js";
import type { ImageRow } from "./views.js";

const GiB = 1024 ** 3;

/**
 * Nova's checks of an image against the flavor it is booted with (400s, Nova's messages): the image
 * is active, the flavor meets min_ram and min_disk, and the image fits a non-zero root disk.
 */
export function assertImageBootable(image: Pick<ImageRow, "id" | "status" | "minRam" | "minDisk" | "size">, flavor: { ramMb: number; diskGb: number }) {
  if (image.status !== "active") throw new ApiError(400, `Image ${image.id} is not active.`);
  if (image.minRam > flavor.ramMb) throw new ApiError(400, "Flavor's memory is too small for requested image.");
  if (flavor.diskGb === 0) return;
  if (image.minDisk > flavor.diskGb) throw new ApiError(400, "Flavor's disk is too small for requested image.");
  if ((image.size ?? 0) > flavor.diskGb * GiB) {
    throw new ApiError(400, `Flavor's disk is too small for requested image. Flavor disk is ${flavor.diskGb * GiB} bytes, image is ${image.size} bytes.`);
  }
}

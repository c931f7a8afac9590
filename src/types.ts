/** A landmark in pixels of the upright image; z is in the same pixel scale (MediaPipe's relative depth × image width). */
export type Point3 = [x: number, y: number, z: number];

/** Head pose in degrees, from the face landmarker's facial transformation matrix. */
export interface HeadPose {
  /** Positive: the subject turns toward the image's left (their right). */
  yaw: number;
  /** Positive: the subject looks down. */
  pitch: number;
  /** In-plane rotation; positive is clockwise in the image. */
  roll: number;
}

export interface Face {
  /** 478 MediaPipe face-mesh landmarks, pixels of the upright image. */
  landmarks: Point3[];
  /** Axis-aligned box of the landmarks: [x0, y0, x1, y1] in pixels. */
  box: [number, number, number, number];
  pose: HeadPose;
  /**
   * How sure the detector is that this is a face, in [0, 1]: the face flag of the bundle's plain
   * face-mesh network, after the sigmoid. Faces below the detector's `minFaceConfidence` (default
   * 0.65) are not returned. NaN with a bundle that reports no score, such as Google's official
   * `face_landmarker.task`.
   */
  confidence: number;
}

/** Where images are warped: WebGPU, or the CPU reference warp. */
export type Backend = 'webgpu' | 'cpu';

/** A decoded, upright image source, ready for detection and upload. */
export type DecodedSource = ImageBitmap | ImageData | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | OffscreenCanvas | VideoFrame;

/** The pixel size of a decoded source as it draws (video: its frame size, image: its natural size). */
export function sizeOf(s: DecodedSource): { width: number; height: number } {
  if (typeof VideoFrame !== 'undefined' && s instanceof VideoFrame) return { width: s.displayWidth, height: s.displayHeight };
  if (typeof HTMLVideoElement !== 'undefined' && s instanceof HTMLVideoElement) return { width: s.videoWidth, height: s.videoHeight };
  if (typeof HTMLImageElement !== 'undefined' && s instanceof HTMLImageElement) return { width: s.naturalWidth, height: s.naturalHeight };
  return { width: (s as { width: number }).width, height: (s as { height: number }).height };
}

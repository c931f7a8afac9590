// Landmark index data of MediaPipe's LandmarksRefinementCalculator as
// configured in mediapipe/modules/face_landmark/
// tensors_to_face_landmarks_with_attention.pbtxt (Apache-2.0). The attention
// mesh model outputs 468 mesh points plus separately refined lips, eyes and
// irises; the legacy FaceMesh graph merged them into 478 points on the CPU.
// The Face Landmarker task expects a model that already outputs the 478
// merged points, so we reproduce that merge inside the graph.

export const MESH_POINTS = 468;
export const REFINED_POINTS = 478;

/** Lips output (80 points) -> mesh index; x, y overridden, z kept. */
export const LIPS = [
  // Lower outer.
  61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291,
  // Upper outer (excluding corners).
  185, 40, 39, 37, 0, 267, 269, 270, 409,
  // Lower inner.
  78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308,
  // Upper inner (excluding corners).
  191, 80, 81, 82, 13, 312, 311, 310, 415,
  // Lower semi-outer.
  76, 77, 90, 180, 85, 16, 315, 404, 320, 307, 306,
  // Upper semi-outer (excluding corners).
  184, 74, 73, 72, 11, 302, 303, 304, 408,
  // Lower semi-inner.
  62, 96, 89, 179, 86, 15, 316, 403, 319, 325, 292,
  // Upper semi-inner (excluding corners).
  183, 42, 41, 38, 12, 268, 271, 272, 407,
] as const;

/** The eye contour (16 points), shared by the eye mapping and the iris z average. */
const LEFT_EYE_CONTOUR = [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173] as const;
const RIGHT_EYE_CONTOUR = [263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398] as const;

/** Left eye output (71 points) -> mesh index; x, y overridden, z kept. */
export const LEFT_EYE = [
  ...LEFT_EYE_CONTOUR,
  // Halo x2 lower contour, upper contour (excluding corners).
  130, 25, 110, 24, 23, 22, 26, 112, 243, 247, 30, 29, 27, 28, 56, 190,
  // Halo x3 lower contour, upper contour (excluding corners).
  226, 31, 228, 229, 230, 231, 232, 233, 244, 113, 225, 224, 223, 222, 221, 189,
  // Halo x4 upper contour (eyebrow inner contour).
  35, 124, 46, 53, 52, 65,
  // Halo x5 lower contour, upper contour (eyebrow outer contour).
  143, 111, 117, 118, 119, 120, 121, 128, 245, 156, 70, 63, 105, 66, 107, 55, 193,
] as const;

/** Right eye output (71 points) -> mesh index; x, y overridden, z kept. */
export const RIGHT_EYE = [
  ...RIGHT_EYE_CONTOUR,
  // Halo x2 lower contour, upper contour (excluding corners).
  359, 255, 339, 254, 253, 252, 256, 341, 463, 467, 260, 259, 257, 258, 286, 414,
  // Halo x3 lower contour, upper contour (excluding corners).
  446, 261, 448, 449, 450, 451, 452, 453, 464, 342, 445, 444, 443, 442, 441, 413,
  // Halo x4 upper contour (eyebrow inner contour).
  265, 353, 276, 283, 282, 295,
  // Halo x5 lower contour, upper contour (eyebrow outer contour).
  372, 340, 346, 347, 348, 349, 350, 357, 465, 383, 300, 293, 334, 296, 336, 285, 417,
] as const;

/**
 * Iris outputs (5 points: center, right, top, left, bottom edge) -> new
 * indices; x, y from the iris output, z = mean mesh z of the eye contour.
 */
export const LEFT_IRIS = { indices: [468, 469, 470, 471, 472], zAverageOf: LEFT_EYE_CONTOUR } as const;
export const RIGHT_IRIS = { indices: [473, 474, 475, 476, 477], zAverageOf: RIGHT_EYE_CONTOUR } as const;

/** Point counts of the model's refinement outputs, in graph output order. */
export const PART_POINTS = [LIPS.length, LEFT_EYE.length, RIGHT_EYE.length, 5, 5] as const;

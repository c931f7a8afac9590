// A wrong use the compiler must refuse (with `any` types it would compile).
import { FaceReshaper } from 'webgpu-face-reshape';

export const a: number = FaceReshaper;

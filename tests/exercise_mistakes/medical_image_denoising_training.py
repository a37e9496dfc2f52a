"""The typical mistakes of 04-train
(course_utils/exercises/medical_image_denoising_training.py): each must fail its check with its message."""

from __future__ import annotations

from exercise_mistakes import Mistake


def _train_same(keras, NoisyPairs, psnr_loss):
    def train_my_denoiser(model, clean_images, epochs=4, batches=10):
        pairs = NoisyPairs(clean_images, target="same", batch_size=16, batches=batches, seed=0)  # step 5
        model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=psnr_loss)
        return model.fit(pairs, epochs=epochs, shuffle=False, verbose=0)

    return train_my_denoiser


def _train_clean_to_clean(keras, psnr_loss):
    def train_my_denoiser(model, clean_images, epochs=4, batches=10):
        model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=psnr_loss)
        return model.fit(clean_images, clean_images, batch_size=16, epochs=epochs, verbose=0)

    return train_my_denoiser


def _train_no_compile(NoisyPairs):
    def train_my_denoiser(model, clean_images, epochs=4, batches=10):
        pairs = NoisyPairs(clean_images, target="clean", batch_size=16, batches=batches, seed=0)
        return model.fit(pairs, epochs=epochs, shuffle=False, verbose=0)

    return train_my_denoiser


def _train_no_return(keras, NoisyPairs, psnr_loss):
    def train_my_denoiser(model, clean_images, epochs=4, batches=10):
        pairs = NoisyPairs(clean_images, target="clean", batch_size=16, batches=batches, seed=0)
        model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=psnr_loss)
        model.fit(pairs, epochs=epochs, shuffle=False, verbose=0)

    return train_my_denoiser


MISTAKES = {
    "04-train": (
        Mistake(answer=_train_same, message="step 5", description="target='same': the noisy input as target"),
        Mistake(answer=_train_clean_to_clean, message="never saw noise", description="fit on clean → clean"),
        Mistake(answer=_train_no_compile, message="compile", description="fit without compile"),
        Mistake(answer=_train_no_return, message="return", description="the History is not returned"),
    ),
}

"""Lesson code, exported from the notebooks' ``#@save`` cells (d2l's convention).

Taught in: the lesson notebooks themselves — each module here is generated from one
notebook by ``tools/export_lessons.py`` (``make export``) and must not be edited by hand:

=========================  ============================================
module                     notebook
=========================  ============================================
``background``             ``notebooks/01_background.ipynb``
``mnist_autoencoder``      ``notebooks/02_mnist_autoencoder.ipynb``
``breast_cancer_autoencoder`` ``notebooks/03_breast_cancer_autoencoder.ipynb``
``medical_image_denoising`` ``notebooks/04_medical_image_denoising.ipynb``
``variational_autoencoders`` ``notebooks/05_variational_autoencoders.ipynb``
=========================  ============================================

A later lesson, a test or the benchmark imports what an earlier lesson taught, e.g.
``from course_utils.lessons.mnist_autoencoder import build_syllabus_autoencoder``; the
code it runs is, line for line, the code the student saw.
"""

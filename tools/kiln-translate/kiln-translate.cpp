//===- kiln-translate.cpp - Translations into and out of kiln -------------===//
//
// Part of the Kiln project: a compiler and runtime for neural networks.
//
//===----------------------------------------------------------------------===//
//
// `kiln-translate --import-onnx model.onnx` prints the kiln IR of a model.
//
//===----------------------------------------------------------------------===//

#include "kiln/Import/ONNX/ONNXImporter.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  mlir::kiln::registerONNXImportTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "Kiln translation driver"));
}

package api

import "github.com/gin-gonic/gin"

// MountOpenAPIForTest registers the description's own routes on r, so the external tests can
// compare the description with every route the server has, its own included.
func MountOpenAPIForTest(r *gin.Engine) { (&Server{}).openapiRoutes(r) }

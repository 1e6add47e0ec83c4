package api

import "github.com/gin-gonic/gin"

// trainingRoutes lists the training endpoints (placeholder until the domain lands).
func (s *Server) trainingRoutes(g *gin.RouterGroup) {}
